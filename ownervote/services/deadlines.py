"""The deadlines the law sets after the close: the result is announced within
``announce_within_days`` (default 3) of the close of voting.

Read-only.  The committee's dashboard and results page show the deadline of an assembly
waiting for its announcement (:func:`announcement_deadline`), the service timer warns about
overdue ones (:func:`overdue_announcements`), and the district supervisor sees them for the
communities of the district.  The rule itself is :func:`voting.lifecycle.announcement_due`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.store.proceedings import timeline
from ledger.store.publish import assembly_settings
from ownervote.services.unit_of_work import end_read
from voting import lifecycle
from voting.store.models import Assembly


@dataclass(frozen=True)
class AnnouncementDeadline:
    assembly_id: int
    community_id: int
    title: str
    closed_at: dt.datetime
    due: dt.datetime  # the result must be announced by then
    overdue: bool  # past ``due`` and still not announced


def announcement_deadline(a: Assembly, now: dt.datetime) -> AnnouncementDeadline | None:
    """The deadline of an assembly whose voting is over and whose result is not announced
    yet (None for any other)."""
    if not lifecycle.awaits_announcement(a.status) or a.closes_at is None:
        return None
    settings = assembly_settings(a)
    due = lifecycle.announcement_due(timeline(a), settings)
    assert due is not None  # closes_at is set
    return AnnouncementDeadline(
        a.id, a.community_id, a.title, a.closes_at, due,
        lifecycle.announcement_overdue(a.status, timeline(a), settings, now))


def overdue_announcements(session: Session, now: dt.datetime,
                          community_ids: Iterable[int] | None = None
                          ) -> list[AnnouncementDeadline]:
    """The assemblies (of these communities, or all) past their announcement deadline,
    longest overdue first."""
    query = select(Assembly).where(
        Assembly.status.in_([lifecycle.Status.CLOSED.value, lifecycle.Status.TALLIED.value]))
    if community_ids is not None:
        query = query.where(Assembly.community_id.in_(list(community_ids)))
    found = [announcement_deadline(a, now) for a in session.scalars(query)]
    end_read(session)
    return sorted((d for d in found if d is not None and d.overdue), key=lambda d: d.due)
