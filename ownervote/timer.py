"""The service timer: open and close assemblies when due, sign checkpoints every few minutes.

``ownervote serve`` starts one :class:`ServiceTimer` thread in every gunicorn
worker (``post_worker_init``).  Every ``OWNERVOTE_TIMER_SECONDS`` (± 20 %
jitter) a worker runs :func:`tick`:

1. a cheap read finds assemblies due to open (noticed, ``opens_at`` passed) or to
   close (open, ``closes_at`` passed), and open logs that grew since their newest
   checkpoint, which is older than ``OWNERVOTE_CHECKPOINT_SECONDS``;
2. each is handled in its own writer transaction.  On PostgreSQL the worker first
   tries ``pg_try_advisory_xact_lock`` for that assembly: if another worker (on
   this or another app server) holds it, this one skips it — the election.  Then
   it takes the log's writer lock (:func:`ledger.store.logstore.lock_head`; SQLite:
   ``BEGIN IMMEDIATE``) and *re-reads* the assembly, so work done meanwhile by
   another worker or by a committee member is not done twice;
3. open/close are the steps of :func:`ledger.store.proceedings.advance_due`
   (``open_voting`` / ``close_voting``), done per assembly with that log's own key
   (after ``ownervote keys rotate-log`` an open log keeps its retired key);
   checkpoints are :func:`ledger.store.checkpoints.issue_checkpoint`, which signs only
   when the log grew and only views consistent with the last one.

Correctness rests on the per-log lock and the re-read, not on the election: two
timers racing do the same step once.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

#: High bits of the advisory-lock ids the timer uses (``ovtm``), one id per assembly.
LOCK_BASE = 0x6F76746D << 24


@dataclass
class TickReport:
    opened: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    checkpoints: list[tuple[int, int]] = field(default_factory=list)  # (assembly, size)
    skipped: list[int] = field(default_factory=list)  # another worker had them
    failed: list[tuple[int, str]] = field(default_factory=list)


def due_work(session: Session, now: dt.datetime, checkpoint_age: dt.timedelta
             ) -> tuple[list[int], list[int]]:
    """Assemblies due to open or close, and open logs due a checkpoint (read only)."""
    from ledger.store.models import Checkpoint, LogHead
    from voting.store.models import Assembly

    due = list(session.scalars(
        select(Assembly.id).where(
            ((Assembly.status == "noticed") & (Assembly.opens_at <= now))
            | ((Assembly.status == "open") & (Assembly.closes_at <= now))
        ).order_by(Assembly.id)
    ))
    newest = (select(Checkpoint.size, Checkpoint.created_at)
              .where(Checkpoint.assembly_id == LogHead.assembly_id)
              .order_by(Checkpoint.size.desc()).limit(1))
    rows = session.execute(
        select(LogHead.assembly_id, LogHead.size,
               newest.with_only_columns(Checkpoint.size).scalar_subquery(),
               newest.with_only_columns(Checkpoint.created_at).scalar_subquery())
        .where(LogHead.closed.is_(False))
        .order_by(LogHead.assembly_id)
    ).all()
    stale = []
    for aid, size, signed, at in rows:
        if signed is None:
            stale.append(aid)
        elif size > signed and _aware(at) <= now - checkpoint_age:
            stale.append(aid)
    return due, [a for a in stale if a not in due]


def _aware(value: Any) -> dt.datetime:
    if isinstance(value, str):  # SQLite through a scalar subquery: no type processing
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _elected(session: Session, assembly_id: int) -> bool:
    """PostgreSQL: this transaction holds the timer's advisory lock for the assembly."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"),
                               {"k": LOCK_BASE + assembly_id}))


def _signer(ring: dict[str, Any], session: Session, assembly_id: int):
    from ledger.errors import KeyFileError
    from ledger.store.logstore import get_head

    vkey = get_head(session, assembly_id).log_vkey
    if vkey not in ring:
        raise KeyFileError(f"no log key file holds {vkey} (assembly {assembly_id})")
    return ring[vkey]


def tick(factory: sessionmaker, settings: Any, now: dt.datetime | None = None) -> TickReport:
    """One round of the timer (see the module docstring); each step commits on its own."""
    from ledger.keys import load_key_ring, load_or_create_log_key, log_key_name
    from ledger.store import logstore
    from ledger.store.checkpoints import issue_checkpoint
    from ledger.store.proceedings import close_voting, open_voting
    from voting.store.models import Assembly

    now = now or dt.datetime.now(dt.UTC)
    report = TickReport()
    with factory() as session:
        due, stale = due_work(session, now, dt.timedelta(seconds=settings.checkpoint_seconds))
        session.rollback()
        if not due and not stale:
            return report
        load_or_create_log_key(settings.log_key_file, log_key_name(settings.base_url))
        ring = load_key_ring(settings.log_key_file)
        for aid in [*due, *stale]:
            try:
                logstore.begin_write(session)
                if not _elected(session, aid):
                    report.skipped.append(aid)
                    session.rollback()
                    continue
                logstore.lock_head(session, aid)  # a noticed or open assembly has its log
                signer = _signer(ring, session, aid)
                a = session.scalars(select(Assembly).where(Assembly.id == aid)
                                    .execution_options(populate_existing=True)).one()
                if a.status == "noticed" and a.opens_at is not None and a.opens_at <= now:
                    open_voting(session, a, signer, now=now, actor="timer")
                    report.opened.append(aid)
                elif a.status == "open" and a.closes_at is not None and a.closes_at <= now:
                    close_voting(session, a, signer, now=now, actor="timer")
                    report.closed.append(aid)
                elif aid in stale:
                    row = issue_checkpoint(session, aid, signer, now=now)
                    report.checkpoints.append((aid, row.size))
                session.commit()
            except Exception as exc:  # one assembly's trouble must not stop the others
                session.rollback()
                report.failed.append((aid, f"{type(exc).__name__}: {exc}"))
                log.warning("timer: assembly %s: %s: %s", aid, type(exc).__name__, exc)
    return report


class ServiceTimer(threading.Thread):
    """A daemon thread running :func:`tick` every ``settings.timer_seconds`` (with jitter)."""

    def __init__(self, factory: sessionmaker, settings: Any) -> None:
        super().__init__(name="ownervote-timer", daemon=True)
        self.factory, self.settings = factory, settings
        self.stopped = threading.Event()

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
            except Exception:  # the database may be down: try again next time
                log.exception("timer: tick failed")
            self.stopped.wait(period * random.uniform(0.8, 1.2))

    def stop(self) -> None:
        self.stopped.set()


def warm(factory: sessionmaker, limit: int = 64) -> int:
    """Load the published definition and roster of open logs into this process's cache
    (:func:`ledger.store.publish.published`), so the first ballot after a start does not wait
    for a roster to be rebuilt."""
    from ledger.store.models import LogHead
    from ledger.store.publish import published

    with factory() as session:
        ids = list(session.scalars(select(LogHead.assembly_id)
                                   .where(LogHead.closed.is_(False)).limit(limit)))
        for aid in ids:
            published(session, aid)
            session.rollback()
    return len(ids)


def start_in_app(app: Any) -> ServiceTimer | None:
    """Start the timer for a Flask app built by ``web.create_app`` (gunicorn worker hook)."""
    settings = app.config["OWNERVOTE"]
    if settings.timer_seconds <= 0:
        return None
    timer = ServiceTimer(app.extensions["ownervote.sessionmaker"], settings)
    timer.start()
    app.extensions["ownervote.timer"] = timer
    return timer

