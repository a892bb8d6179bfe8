"""The assembly lifecycle as an explicit, pure state machine.

::

    draft ──notice──▶ noticed ──open──▶ open ──close──▶ closed ──▶ tallied ──▶ announced

* **draft → noticed**: the notice (公告) is published *now*; voting must
  open at least ``notice_days`` days later (物业管理条例 第14条: 15 days, or
  7–14 for an extraordinary meeting where the assembly rules allow it), and
  close after it opens.  From here on the items and settings are frozen:
  only the items in the notice may be voted on.
* **noticed → open**: not before ``opens_at``.
* **open → closed**: not before ``closes_at`` (no early closing: owners were
  told the deadline).
* **closed → tallied**: any time (the tally is deterministic).
* **tallied → announced**: any time, but due within ``announce_within_days`` of the
  close (:func:`announcement_due`, :func:`announcement_overdue`); the preliminary result
  is then open to objections until ``announced_at + objection_days``.
* **the final announcement** (not a state: the assembly stays announced) is issued once
  the objection period is over, once (:func:`final_announcement_refusal`).

There is no way back: a published notice, a cast ballot or an announced
result cannot be undone by changing a status.  Every refused move raises
:class:`~voting.errors.TransitionRefused` naming the current state, the
wanted state and why (a :class:`~voting.errors.TransitionReason` code with its
figures, and plain words).  Durations are exact ``timedelta`` comparisons on
timezone-aware datetimes ("15 days" = 15 × 24 h).

What needs the assembly in one state is decided here too, with the same kind of
refusal: :func:`window_refusal` (a draft's voting window must fit a notice published
now), :func:`editing_refusal` (only a draft changes), :func:`objection_refusal` (after
the announcement) and :func:`reminder_refusal` (while voting is open).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from voting.errors import TransitionReason, TransitionRefused
from voting.settings import AssemblySettings


class Status(StrEnum):
    DRAFT = "draft"
    NOTICED = "noticed"
    OPEN = "open"
    CLOSED = "closed"
    TALLIED = "tallied"
    ANNOUNCED = "announced"


_NEXT: dict[Status, Status] = {
    Status.DRAFT: Status.NOTICED,
    Status.NOTICED: Status.OPEN,
    Status.OPEN: Status.CLOSED,
    Status.CLOSED: Status.TALLIED,
    Status.TALLIED: Status.ANNOUNCED,
}
_ORDER = list(Status)


@dataclass(frozen=True)
class Timeline:
    """An assembly's timestamps (timezone-aware); ``None`` when not set yet."""

    notice_at: dt.datetime | None = None
    opens_at: dt.datetime | None = None
    closes_at: dt.datetime | None = None
    announced_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        for name in ("notice_at", "opens_at", "closes_at", "announced_at"):
            _aware(getattr(self, name), name)


def _aware(value: dt.datetime | None, name: str) -> None:
    if value is not None and (not isinstance(value, dt.datetime) or value.tzinfo is None):
        raise ValueError(f"{name}: expected a timezone-aware datetime, got {value!r}")


def items_frozen(status: Status | str) -> bool:
    """Items and settings may change only in draft: the notice fixes what is voted on."""
    return Status(status) is not Status.DRAFT


def accepts_ballots(status: Status | str) -> bool:
    return Status(status) is Status.OPEN


def voting_over(status: Status | str) -> bool:
    """Voting has closed (closed, tallied or announced): from now on the ballots are final
    and who took part is a matter of record (the announcement lists it)."""
    return Status(status) in (Status.CLOSED, Status.TALLIED, Status.ANNOUNCED)


def objection_until(timeline: Timeline, settings: AssemblySettings) -> dt.datetime | None:
    """End of the objection period, once the result is announced."""
    if timeline.announced_at is None:
        return None
    return timeline.announced_at + dt.timedelta(days=settings.objection_days)


def announcement_due(timeline: Timeline, settings: AssemblySettings) -> dt.datetime | None:
    """When the result must be announced at the latest: ``announce_within_days`` after the
    close of voting (the announced closing time: voting never closes early)."""
    if timeline.closes_at is None:
        return None
    return timeline.closes_at + dt.timedelta(days=settings.announce_within_days)


def awaits_announcement(status: Status | str) -> bool:
    """Voting is over and the result is not announced yet."""
    return Status(status) in (Status.CLOSED, Status.TALLIED)


def announcement_overdue(status: Status | str, timeline: Timeline, settings: AssemblySettings,
                         now: dt.datetime) -> bool:
    """Past the announcement deadline with the result still not announced."""
    _aware(now, "now")
    due = announcement_due(timeline, settings)
    return awaits_announcement(status) and due is not None and now > due


def final_announcement_refusal(status: Status | str, objection_end: dt.datetime | None,
                               final_at: dt.datetime | None,
                               now: dt.datetime) -> TransitionRefused | None:
    """``None`` if the final announcement may be issued now: the result is announced, its
    objection period is over and no final announcement was issued before."""
    _aware(now, "now")
    refused = _needs(status, Status.ANNOUNCED, TransitionReason.FINAL_AFTER_ANNOUNCEMENT,
                     "the final announcement follows the announcement of the result")
    if refused is not None:
        return refused
    current = Status(status).value
    if final_at is not None:
        return TransitionRefused(current, current, "the final announcement is already issued",
                                 code=TransitionReason.FINAL_ALREADY_ISSUED,
                                 params={"final_at": final_at})
    if objection_end is None or now < objection_end:
        return TransitionRefused(
            current, current, f"objections may be raised until {objection_end}",
            code=TransitionReason.OBJECTION_PERIOD_OPEN, params={"objection_until": objection_end})
    return None


def refusal(
    status: Status | str,
    wanted: Status | str,
    timeline: Timeline,
    now: dt.datetime,
    settings: AssemblySettings,
    *,
    item_count: int | None = None,
) -> TransitionRefused | None:
    """``None`` if the move is allowed now, else the refusal (code, figures, plain words)."""
    _aware(now, "now")
    current = Status(status)

    def no(code: TransitionReason, why: str, **params: Any) -> TransitionRefused:
        return TransitionRefused(current.value, str(wanted), why, code=code, params=params)

    try:
        target = Status(wanted)
    except ValueError:
        return no(TransitionReason.NOT_A_STATE,
                  f'"{wanted}" is not a state (states: {", ".join(_ORDER)})', wanted=str(wanted))
    if target is current:
        return no(TransitionReason.ALREADY_DONE, f"the assembly is already {current.value}")
    if _ORDER.index(target) < _ORDER.index(current):
        return no(TransitionReason.NEVER_BACK,
                  "an assembly never goes back: notice, ballots and results cannot be undone")
    if _NEXT.get(current) is not target:
        follow = _NEXT.get(current)
        if follow is None:
            return no(TransitionReason.FINAL, f"{current.value} is final")
        return no(TransitionReason.EARLIER_STEPS_FIRST,
                  f"only {follow.value} can follow {current.value}", next=follow.value)
    if target is Status.NOTICED:
        return _refuse_notice(no, timeline, now, settings, item_count)
    if target is Status.OPEN:
        if timeline.opens_at is None:
            return no(TransitionReason.NO_OPENING_TIME, "no opening time is set")
        if timeline.notice_at is None:
            return no(TransitionReason.NO_NOTICE_TIME, "no notice time is recorded")
        if timeline.opens_at - timeline.notice_at < dt.timedelta(days=settings.notice_days):
            return no(TransitionReason.NOTICE_CAME_LATE,
                      f"the notice of {timeline.notice_at.isoformat()} came less than "
                      f"{settings.notice_days} days before opening (物业管理条例 第14条)",
                      notice_at=timeline.notice_at, opens_at=timeline.opens_at,
                      notice_days=settings.notice_days)
        if now < timeline.opens_at:
            return no(TransitionReason.BEFORE_OPENING,
                      f"voting opens at {timeline.opens_at.isoformat()}, not before",
                      opens_at=timeline.opens_at)
        return None
    if target is Status.CLOSED:
        if timeline.closes_at is None:
            return no(TransitionReason.NO_CLOSING_TIME, "no closing time is set")
        if now < timeline.closes_at:
            return no(TransitionReason.BEFORE_CLOSING,
                      f"voting closes at {timeline.closes_at.isoformat()}; owners were told so",
                      closes_at=timeline.closes_at)
        return None
    return None  # closed -> tallied, tallied -> announced


def _refuse_notice(
    no: Callable[..., TransitionRefused], timeline: Timeline, now: dt.datetime,
    settings: AssemblySettings, item_count: int | None,
) -> TransitionRefused | None:
    if item_count is not None and item_count < 1:
        return no(TransitionReason.NO_ITEMS, "the notice must list at least one item")
    return _refuse_window(no, timeline.opens_at, timeline.closes_at, now, settings)


def _refuse_window(
    no: Callable[..., TransitionRefused], opens_at: dt.datetime | None,
    closes_at: dt.datetime | None, now: dt.datetime, settings: AssemblySettings,
) -> TransitionRefused | None:
    if opens_at is None or closes_at is None:
        return no(TransitionReason.TIMES_NOT_SET,
                  "the opening and closing times must be set before the notice")
    if closes_at <= opens_at:
        return no(TransitionReason.CLOSES_BEFORE_OPENS, "voting must close after it opens")
    earliest = earliest_opening(now, settings)
    if opens_at < earliest:
        return no(TransitionReason.NOTICE_TOO_SHORT,
                  f"voting opens at {opens_at.isoformat()}, less than "
                  f"{settings.notice_days} days after a notice published now "
                  "(物业管理条例 第14条)",
                  opens_at=opens_at, earliest=earliest, notice_days=settings.notice_days)
    return None


def earliest_opening(now: dt.datetime, settings: AssemblySettings) -> dt.datetime:
    """The earliest opening of voting for a notice published at ``now`` (the notice period)."""
    return now + dt.timedelta(days=settings.notice_days)


def window_refusal(
    status: Status | str,
    opens_at: dt.datetime | None,
    closes_at: dt.datetime | None,
    now: dt.datetime,
    settings: AssemblySettings,
) -> TransitionRefused | None:
    """``None`` if the draft may take this voting window now, else the refusal.

    The window must fit a notice published at ``now``: the same checks as draft → noticed
    (both times set, closing after opening, at least ``notice_days`` of notice), and only a
    draft's window may change (``frozen_by_notice``).  ``wanted`` is ``noticed``.
    """
    _aware(now, "now")
    _aware(opens_at, "opens_at")
    _aware(closes_at, "closes_at")
    frozen = editing_refusal(status)
    if frozen is not None:
        return frozen
    current = Status(status)

    def no(code: TransitionReason, why: str, **params: Any) -> TransitionRefused:
        return TransitionRefused(current.value, Status.NOTICED.value, why, code=code,
                                 params=params)

    return _refuse_window(no, opens_at, closes_at, now, settings)


def _needs(status: Status | str, state: Status, code: TransitionReason,
           why: str) -> TransitionRefused | None:
    current = Status(status)
    if current is state:
        return None
    return TransitionRefused(current.value, state.value, why, code=code)


def editing_refusal(status: Status | str) -> TransitionRefused | None:
    """``None`` if the items, settings, documents and window may change (draft only)."""
    if not items_frozen(status):
        return None
    return _needs(status, Status.DRAFT, TransitionReason.FROZEN_BY_NOTICE,
                  "the notice is published: only what it showed may be voted on")


def objection_refusal(status: Status | str) -> TransitionRefused | None:
    """``None`` if an objection may be recorded (after the announcement)."""
    return _needs(status, Status.ANNOUNCED, TransitionReason.OBJECTIONS_AFTER_ANNOUNCEMENT,
                  "objections are recorded once the result is announced")


def reminder_refusal(status: Status | str) -> TransitionRefused | None:
    """``None`` if owners may be reminded to vote (while voting is open)."""
    return _needs(status, Status.OPEN, TransitionReason.REMINDERS_ONLY_WHILE_OPEN,
                  "reminders are sent only while voting is open")


def why_not(
    status: Status | str,
    wanted: Status | str,
    timeline: Timeline,
    now: dt.datetime,
    settings: AssemblySettings,
    *,
    item_count: int | None = None,
) -> str | None:
    """``None`` if the move is allowed now, else the reason in plain English."""
    refused = refusal(status, wanted, timeline, now, settings, item_count=item_count)
    return None if refused is None else refused.why


def check_transition(
    status: Status | str,
    wanted: Status | str,
    timeline: Timeline,
    now: dt.datetime,
    settings: AssemblySettings,
    *,
    item_count: int | None = None,
) -> Status:
    """Return the new :class:`Status` or raise :class:`TransitionRefused`."""
    refused = refusal(status, wanted, timeline, now, settings, item_count=item_count)
    if refused is not None:
        raise refused
    return Status(wanted)


def transitions(
    status: Status | str,
    timeline: Timeline,
    now: dt.datetime,
    settings: AssemblySettings,
    *,
    item_count: int | None = None,
) -> dict[Status, str | None]:
    """Every other state with ``None`` (allowed now) or the reason it is not."""
    current = Status(status)
    return {
        target: why_not(current, target, timeline, now, settings, item_count=item_count)
        for target in Status
        if target is not current
    }


def allowed_transitions(
    status: Status | str,
    timeline: Timeline,
    now: dt.datetime,
    settings: AssemblySettings,
    *,
    item_count: int | None = None,
) -> frozenset[Status]:
    """The states the assembly may move to now (at most one: the lifecycle is a chain)."""
    options = transitions(status, timeline, now, settings, item_count=item_count)
    return frozenset(target for target, reason in options.items() if reason is None)
