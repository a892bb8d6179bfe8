"""Throttling and lockout, with counters in the database so that every worker shares them.

A :class:`Policy` allows ``max_failures`` failures within ``window`` (a fixed
window starting at the first failure); the failure that reaches the limit
locks the key for ``lockout`` and starts a fresh window afterwards.  Keys are
keyed hashes (``KeyedHasher.opaque``) of what is throttled — a client
address, a claimed ID number, a phone number — so the table holds no
personal data.

Default policies (docs/identity.md; which keys count what: :mod:`identity.store.attempts`):

==================  ========  =======  ========  ==================================================
scope               failures  window   lockout   what
==================  ========  =======  ========  ==================================================
verify.client          10     15 min   15 min    failed matches from one client
verify.claimant         5     15 min   30 min    failed matches claiming one ID number, one client
verify.combination      5     15 min   30 min    one failing name + ID + certificate/unit
verify.target           5      1 h     (1 h)     failed matches claiming one ID number in one
                                                 community, any client: never locks, tells the
                                                 committee (once per hour at most)
code.client            10     15 min   15 min    wrong one-time codes from one client
sms.claimant            5      1 h      1 h      codes asked by one matched person, one client
sms.client             10      1 h      1 h      codes requested by one client
sms.phone               1      1 min    1 min    codes sent to one phone: a flood bound only
staff.account          10     15 min   30 min    failed staff sign-ins under one user name
==================  ========  =======  ========  ==================================================

On PostgreSQL the counter row is locked (``SELECT … FOR UPDATE``) while it is
updated; SQLite serialises writers.  A first failure racing another worker's
first failure retries once on the unique key.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from identity.errors import Throttled
from identity.store.models import AttemptCounter
from ownervote.db import rowcount


@dataclass(frozen=True)
class Policy:
    scope: str
    max_failures: int
    window: dt.timedelta
    lockout: dt.timedelta


MINUTE = dt.timedelta(minutes=1)
VERIFY_CLIENT = Policy("verify.client", 10, 15 * MINUTE, 15 * MINUTE)
VERIFY_CLAIMANT = Policy("verify.claimant", 5, 15 * MINUTE, 30 * MINUTE)
VERIFY_COMBINATION = Policy("verify.combination", 5, 15 * MINUTE, 30 * MINUTE)
VERIFY_TARGET = Policy("verify.target", 5, 60 * MINUTE, 60 * MINUTE)  # alert, never checked
CODE_CLIENT = Policy("code.client", 10, 15 * MINUTE, 15 * MINUTE)
SMS_CLAIMANT = Policy("sms.claimant", 5, 60 * MINUTE, 60 * MINUTE)
SMS_CLIENT = Policy("sms.client", 10, 60 * MINUTE, 60 * MINUTE)
SMS_PHONE = Policy("sms.phone", 1, MINUTE, MINUTE)
STAFF_ACCOUNT = Policy("staff.account", 10, 15 * MINUTE, 30 * MINUTE)


def _row(session: Session, policy: Policy, key: str, lock: bool) -> AttemptCounter | None:
    statement = select(AttemptCounter).where(AttemptCounter.scope == policy.scope,
                                             AttemptCounter.key == key)
    if lock:
        statement = statement.with_for_update()
    return session.scalars(statement.execution_options(populate_existing=True)).first()


def check(session: Session, policy: Policy, key: str, now: dt.datetime) -> None:
    """Raise :class:`Throttled` if ``key`` is locked out under ``policy``."""
    row = _row(session, policy, key, lock=False)
    if row is not None and row.locked_until is not None and row.locked_until > now:
        raise Throttled(policy.scope, row.locked_until)


def fail(session: Session, policy: Policy, key: str, now: dt.datetime) -> int:
    """Count one failure; return the failures left before a lockout (0: now locked)."""
    row = _row(session, policy, key, lock=True)
    if row is None:
        try:
            with session.begin_nested():
                row = AttemptCounter(scope=policy.scope, key=key, failures=0, window_start=now)
                session.add(row)
        except IntegrityError:  # another worker created it first
            row = _row(session, policy, key, lock=True)
            assert row is not None
    if row.locked_until is not None and row.locked_until > now:
        return 0
    if row.window_start + policy.window <= now or row.locked_until is not None:
        row.failures, row.window_start, row.locked_until = 0, now, None
    row.failures += 1
    if row.failures >= policy.max_failures:
        row.locked_until = now + policy.lockout
        session.flush()
        return 0
    session.flush()
    return policy.max_failures - row.failures


def reached(session: Session, policy: Policy, key: str, now: dt.datetime) -> bool:
    """Count one failure; True exactly when this one reached the limit (for a policy used
    as an alarm: its "lockout" is the quiet time before the count starts again)."""
    row = _row(session, policy, key, lock=False)
    if row is not None and row.locked_until is not None and row.locked_until > now:
        return False
    return fail(session, policy, key, now) == 0


def reset(session: Session, policy: Policy, key: str) -> None:
    """Forget the failures of ``key`` (after a success); a running lockout stays."""
    session.execute(delete(AttemptCounter).where(
        AttemptCounter.scope == policy.scope, AttemptCounter.key == key,
        AttemptCounter.locked_until.is_(None)))


def release(session: Session, policy: Policy, key: str) -> None:
    """Forget ``key``'s failures and end its lock-out (an administrator's decision)."""
    session.execute(delete(AttemptCounter).where(
        AttemptCounter.scope == policy.scope, AttemptCounter.key == key))


def purge(session: Session, now: dt.datetime, older_than: dt.timedelta = dt.timedelta(days=1)) \
        -> int:
    """Delete counters whose window and lockout ended long ago (housekeeping)."""
    cutoff = now - older_than
    result = session.execute(delete(AttemptCounter).where(
        AttemptCounter.window_start < cutoff,
        (AttemptCounter.locked_until.is_(None)) | (AttemptCounter.locked_until < cutoff)))
    return rowcount(result)
