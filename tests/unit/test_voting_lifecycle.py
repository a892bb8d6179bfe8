"""The assembly lifecycle: draft → noticed → open → closed → tallied → announced."""

from __future__ import annotations

import datetime as dt

import pytest

from voting import (
    AssemblySettings,
    Status,
    Timeline,
    TransitionRefused,
    allowed_transitions,
    check_transition,
    items_frozen,
    transitions,
)
from voting.lifecycle import accepts_ballots, objection_until

T0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
DEFAULT = AssemblySettings()
PLAN = Timeline(opens_at=T0 + 15 * DAY, closes_at=T0 + 25 * DAY)
NOTICED = Timeline(notice_at=T0, opens_at=T0 + 15 * DAY, closes_at=T0 + 25 * DAY)


def refusal(status, wanted, timeline, now, settings=DEFAULT, **kwargs) -> TransitionRefused:
    with pytest.raises(TransitionRefused) as info:
        check_transition(status, wanted, timeline, now, settings, **kwargs)
    assert info.value.current == str(status) and info.value.wanted == str(wanted)
    assert str(status) in str(info.value) and str(wanted) in str(info.value)
    return info.value


def test_full_happy_path() -> None:
    assert check_transition("draft", "noticed", PLAN, T0, DEFAULT, item_count=2) is Status.NOTICED
    assert check_transition("noticed", "open", NOTICED, T0 + 15 * DAY, DEFAULT) is Status.OPEN
    assert check_transition("open", "closed", NOTICED, T0 + 25 * DAY, DEFAULT) is Status.CLOSED
    assert check_transition("closed", "tallied", NOTICED, T0 + 25 * DAY, DEFAULT) is Status.TALLIED
    announced = check_transition("tallied", "announced", NOTICED, T0 + 26 * DAY, DEFAULT)
    assert announced is Status.ANNOUNCED


def test_notice_exactly_fifteen_days_is_enough_one_second_less_is_not() -> None:
    check_transition("draft", "noticed", PLAN, T0, DEFAULT)
    late = refusal("draft", "noticed", PLAN, T0 + dt.timedelta(seconds=1))
    assert "less than 15 days" in late.why


def test_extraordinary_meeting_may_use_seven_days() -> None:
    short = Timeline(opens_at=T0 + 7 * DAY, closes_at=T0 + 9 * DAY)
    refusal("draft", "noticed", short, T0)
    seven = AssemblySettings(notice_days=7, extraordinary=True)
    assert check_transition("draft", "noticed", short, T0, seven) is Status.NOTICED


def test_notice_needs_times_and_items() -> None:
    assert "at least one item" in refusal("draft", "noticed", PLAN, T0, item_count=0).why
    assert "must be set" in refusal("draft", "noticed", Timeline(), T0).why
    backwards = Timeline(opens_at=T0 + 20 * DAY, closes_at=T0 + 20 * DAY)
    assert "close after it opens" in refusal("draft", "noticed", backwards, T0).why


def test_not_open_before_opening_nor_closed_before_closing() -> None:
    assert "not before" in refusal("noticed", "open", NOTICED, T0 + 14 * DAY).why
    assert "owners were told" in refusal("open", "closed", NOTICED, T0 + 20 * DAY).why
    unrecorded = Timeline(opens_at=T0 + 15 * DAY, closes_at=T0 + 25 * DAY)
    assert "no notice time" in refusal("noticed", "open", unrecorded, T0 + 16 * DAY).why
    hurried = Timeline(notice_at=T0 + DAY, opens_at=T0 + 15 * DAY, closes_at=T0 + 25 * DAY)
    assert "less than 15 days" in refusal("noticed", "open", hurried, T0 + 16 * DAY).why


@pytest.mark.parametrize(
    ("status", "wanted", "why"),
    [
        ("draft", "open", "only noticed can follow draft"),
        ("draft", "announced", "only noticed can follow draft"),
        ("noticed", "draft", "never goes back"),
        ("open", "noticed", "never goes back"),
        ("announced", "tallied", "never goes back"),
        ("closed", "closed", "already closed"),
        ("announced", "announced", "already announced"),
        ("open", "cancelled", "is not a state"),
    ],
)
def test_illegal_moves_are_refused_naming_both_states(status, wanted, why) -> None:
    assert why in refusal(status, wanted, NOTICED, T0 + 30 * DAY).why


def test_announced_is_final() -> None:
    options = transitions("announced", NOTICED, T0 + 30 * DAY, DEFAULT)
    assert all(reason is not None for reason in options.values())
    assert allowed_transitions("announced", NOTICED, T0 + 30 * DAY, DEFAULT) == frozenset()


def test_allowed_transitions_follow_the_clock() -> None:
    assert allowed_transitions("noticed", NOTICED, T0 + DAY, DEFAULT) == frozenset()
    assert allowed_transitions("noticed", NOTICED, T0 + 15 * DAY, DEFAULT) == {Status.OPEN}
    assert allowed_transitions("open", NOTICED, T0 + 26 * DAY, DEFAULT) == {Status.CLOSED}
    assert allowed_transitions("closed", NOTICED, T0, DEFAULT) == {Status.TALLIED}


def test_items_are_frozen_from_the_notice_and_ballots_only_while_open() -> None:
    assert not items_frozen("draft")
    assert all(items_frozen(status) for status in list(Status)[1:])
    assert [s for s in Status if accepts_ballots(s)] == [Status.OPEN]


def test_objection_period() -> None:
    announced = Timeline(notice_at=T0, announced_at=T0 + 30 * DAY)
    assert objection_until(announced, AssemblySettings(objection_days=7)) == T0 + 37 * DAY
    assert objection_until(NOTICED, DEFAULT) is None


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Timeline(opens_at=dt.datetime(2025, 3, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        check_transition("closed", "tallied", NOTICED, dt.datetime(2025, 3, 1), DEFAULT)
