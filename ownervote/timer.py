"""The service timer: open and close assemblies when due, sign checkpoints every few minutes.

``ownervote serve`` starts one :class:`ServiceTimer` thread in every gunicorn
worker (``post_worker_init``).  Every ``OWNERVOTE_TIMER_SECONDS`` (± 20 %
jitter) a worker runs :func:`tick`, which is
:func:`ownervote.services.schedule.run_due`: each due step (open, close, checkpoint)
of each assembly in its own unit of work, elected among the workers on PostgreSQL,
under the log's lock, one assembly's trouble never stopping the others (read that
module's docstring).  It also warns, once per assembly and process, about each result not
announced within ``announce_within_days`` of the close (:mod:`ownervote.services.deadlines`).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from typing import Any

from ownervote.services import schedule
from ownervote.services.schedule import TickReport

log = logging.getLogger(__name__)

__all__ = ["ServiceTimer", "TickReport", "start_in_app", "tick", "warm"]


def tick(factory: Any, settings: Any, now: dt.datetime | None = None) -> TickReport:
    """One round of the timer; each step commits on its own."""
    return schedule.run_due(factory, settings, now)


def warm(factory: Any, limit: int = 64) -> int:
    """Load the published definition and roster of open logs into this process's cache."""
    return schedule.warm(factory, limit)


class ServiceTimer(threading.Thread):
    """A daemon thread running :func:`tick` every ``settings.timer_seconds`` (with jitter)."""

    def __init__(self, factory: Any, settings: Any) -> None:
        super().__init__(name="ownervote-timer", daemon=True)
        self.factory, self.settings = factory, settings
        self.stopped = threading.Event()
        self.warned_overdue: set[int] = set()

    def run(self) -> None:
        period = self.settings.timer_seconds
        try:
            warm(self.factory)
        except Exception:  # only a cache: the first ballot will fill it instead
            log.exception("timer: warming the published rosters failed")
        self.stopped.wait(random.uniform(0.1, 1.0) * min(period, 5))
        while not self.stopped.is_set():
            try:
                r = tick(self.factory, self.settings)
                if r.opened or r.closed or r.checkpoints:
                    log.info("timer: opened %s, closed %s, checkpoints %s",
                             r.opened, r.closed, r.checkpoints)
                self.warn_overdue(r)
            except Exception:  # the database may be down: try again next time
                log.exception("timer: tick failed")
            self.stopped.wait(period * random.uniform(0.8, 1.2))

    def warn_overdue(self, report: TickReport) -> None:
        """Warn once about each assembly whose result is past its announcement deadline."""
        for aid in report.overdue:
            if aid not in self.warned_overdue:
                self.warned_overdue.add(aid)
                log.warning("timer: assembly %s: the result is not announced within the "
                            "days the assembly rules set after the close "
                            "(announce_within_days); the committee must announce it", aid)

    def stop(self) -> None:
        self.stopped.set()


def start_in_app(app: Any) -> ServiceTimer | None:
    """Start the timer for a Flask app built by ``web.create_app`` (gunicorn worker hook)."""
    settings = app.config["OWNERVOTE"]
    if settings.timer_seconds <= 0:
        return None
    timer = ServiceTimer(app.extensions["ownervote.sessionmaker"], settings)
    timer.start()
    app.extensions["ownervote.timer"] = timer
    return timer
