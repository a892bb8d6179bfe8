"""What the service timer does when its time comes: open and close assemblies when due, and
sign checkpoints of open logs that grew (:mod:`ownervote.timer` runs :func:`run_due`).

1. a cheap read (:func:`due_work`) finds assemblies due to open (noticed, ``opens_at``
   passed) or to close (open, ``closes_at`` passed), and open logs that grew since their
   newest checkpoint, which is older than ``OWNERVOTE_CHECKPOINT_SECONDS``;
2. each is handled in its own unit of work (:func:`ownervote.services.unit_of_work.writing`).
   On PostgreSQL the worker first tries ``pg_try_advisory_xact_lock`` for that assembly:
   if another worker (on this or another app server) holds it, this one skips it — the
   election.  Then it takes the log's writer lock (:func:`ledger.store.logstore.lock_head`;
   SQLite: ``BEGIN IMMEDIATE``) and *re-reads* the assembly, so work done meanwhile by
   another worker or by a committee member is not done twice;
3. open/close are the steps of :func:`ledger.store.proceedings.advance_due`
   (``open_voting`` / ``close_voting``), done per assembly with that log's own key
   (after ``ownervote keys rotate-log`` an open log keeps its retired key);
   checkpoints are :func:`ledger.store.checkpoints.issue_checkpoint`, which signs only
   when the log grew and only views consistent with the last one.

One assembly's trouble must not stop the others: a step that fails is rolled back,
reported in :attr:`TickReport.failed` and logged, and the next assembly is handled.
Correctness rests on the per-log lock and the re-read, not on the election: two
timers racing do the same step once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from ledger.note import Signer
from ledger.store import logstore
from ledger.store.checkpoints import issue_checkpoint
from ledger.store.models import Checkpoint, LogHead
from ledger.store.proceedings import close_voting, open_voting
from ledger.store.publish import published
from ownervote.services import deadlines, witnessing
from ownervote.services.keys import log_ring, signer_in
from ownervote.services.unit_of_work import end_read, writing
from voting.store.models import Assembly

log = logging.getLogger("ownervote.timer")

#: High bits of the advisory-lock ids the timer uses (``ovtm``), one id per assembly.
LOCK_BASE = 0x6F76746D << 24


@dataclass
class TickReport:
    opened: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    checkpoints: list[tuple[int, int]] = field(default_factory=list)  # (assembly, size)
    skipped: list[int] = field(default_factory=list)  # another worker had them
    failed: list[tuple[int, str]] = field(default_factory=list)
    witnessed: list[witnessing.Outcome] = field(default_factory=list)  # requests to witnesses
    # assemblies past their announcement deadline (announce_within_days after the close)
    overdue: list[int] = field(default_factory=list)


def due_work(session: Session, now: dt.datetime, checkpoint_age: dt.timedelta
             ) -> tuple[list[int], list[int]]:
    """Assemblies due to open or close, and open logs due a checkpoint (read only)."""
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


def _advance(session: Session, ring: dict[str, Signer], settings: Any, assembly_id: int,
             now: dt.datetime, *, stale: bool) -> tuple[str, int] | None:
    """One assembly's due step in its own unit of work (see the module docstring): what was
    done — ``("skipped" | "opened" | "closed", 0)`` or ``("checkpoint", size)`` — once it is
    committed, or None if nothing was due after all."""
    with writing(session):
        if not _elected(session, assembly_id):
            return "skipped", 0
        logstore.lock_head(session, assembly_id)  # a noticed or open assembly has its log
        signer = signer_in(ring, session, assembly_id, settings)
        a = session.scalars(select(Assembly).where(Assembly.id == assembly_id)
                            .execution_options(populate_existing=True)).one()
        # The proceedings' steps (ledger.store.proceedings) inside this unit of work, until
        # the proceedings service owns them.
        if a.status == "noticed" and a.opens_at is not None and a.opens_at <= now:
            open_voting(session, a, signer, now=now, actor="timer")
            return "opened", 0
        if a.status == "open" and a.closes_at is not None and a.closes_at <= now:
            close_voting(session, a, signer, now=now, actor="timer")
            return "closed", 0
        if stale:
            return "checkpoint", issue_checkpoint(session, assembly_id, signer, now=now).size
    return None


def run_due(factory: sessionmaker, settings: Any, now: dt.datetime | None = None) -> TickReport:
    """One round of the timer (see the module docstring); each step commits on its own.
    Then the configured witnesses are asked to cosign the checkpoints they lack
    (:func:`ownervote.services.witnessing.request_cosignatures`)."""
    now = now or dt.datetime.now(dt.UTC)
    report = TickReport()
    with factory() as session:
        due, stale = due_work(session, now, dt.timedelta(seconds=settings.checkpoint_seconds))
        report.overdue = [d.assembly_id for d in deadlines.overdue_announcements(session, now)]
        end_read(session)
        ring = log_ring(settings) if due or stale else {}
        for aid in [*due, *stale]:
            try:
                done = _advance(session, ring, settings, aid, now, stale=aid in stale)
            except Exception as exc:  # noqa: BLE001 - one assembly's trouble must not stop the others
                report.failed.append((aid, f"{type(exc).__name__}: {exc}"))
                log.warning("timer: assembly %s: %s: %s", aid, type(exc).__name__, exc)
                continue
            if done is None:
                continue
            kind, size = done
            if kind == "checkpoint":
                report.checkpoints.append((aid, size))
            else:
                getattr(report, kind).append(aid)
    try:
        report.witnessed = witnessing.request_cosignatures(factory, settings, now)
    except Exception as exc:  # noqa: BLE001 - witnesses' trouble must not stop the timer
        log.warning("timer: asking the witnesses: %s: %s", type(exc).__name__, exc)
    return report


def warm(factory: sessionmaker, limit: int = 64) -> int:
    """Load the published definition and roster of open logs into this process's cache
    (:func:`ledger.store.publish.published`), so the first ballot after a start does not wait
    for a roster to be rebuilt."""
    with factory() as session:
        ids = list(session.scalars(select(LogHead.assembly_id)
                                   .where(LogHead.closed.is_(False)).limit(limit)))
        for aid in ids:
            published(session, aid)
            end_read(session)
    return len(ids)
