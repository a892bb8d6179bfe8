"""Civil Code art. 278 matters and the exact double-majority thresholds."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voting import ItemError, Matter, Threshold, approval_check, quorum_check
from voting.matters import min_agreeing_to_approve, min_to_reach_quorum


def test_nine_matters_with_labels_and_thresholds() -> None:
    assert [int(m) for m in Matter] == list(range(1, 10))
    special = {m for m in Matter if m.threshold is Threshold.SPECIAL}
    assert special == {Matter.RAISE_FUND, Matter.REBUILD, Matter.COMMON_PARTS}
    assert Matter(6).zh.startswith("筹集") and "raise" in Matter(6).en
    assert Matter(5).zh.startswith("使用") and Matter(5).threshold is Threshold.ORDINARY
    assert all(m.zh and m.en for m in Matter)


@pytest.mark.parametrize("bad", [0, 10, True, "3", None, 2.0])
def test_matter_parse_refuses(bad: object) -> None:
    with pytest.raises(ItemError, match="1..9"):
        Matter.parse(bad, "items[0].kind")


# Quorum: 3·P ≥ 2·T in both dimensions, inclusive.
def test_quorum_exactly_two_thirds_is_met() -> None:
    assert quorum_check(2000, 2, 3000, 3).ok


def test_quorum_area_fails_alone() -> None:
    check = quorum_check(1999, 2, 3000, 3)
    assert (check.area_ok, check.heads_ok, check.ok) == (False, True, False)


def test_quorum_heads_fail_alone() -> None:
    check = quorum_check(3000, 1, 3000, 3)
    assert (check.area_ok, check.heads_ok, check.ok) == (True, False, False)


# Ordinary: strictly more than half in both dimensions.
def test_ordinary_exactly_half_fails_both() -> None:
    check = approval_check(Threshold.ORDINARY, 2000, 2, 4000, 4)
    assert (check.area_ok, check.heads_ok) == (False, False)


def test_ordinary_area_fails_alone() -> None:
    check = approval_check(Threshold.ORDINARY, 2000, 3, 4000, 4)
    assert (check.area_ok, check.heads_ok) == (False, True)


def test_ordinary_heads_fail_alone() -> None:
    check = approval_check(Threshold.ORDINARY, 2001, 2, 4000, 4)
    assert (check.area_ok, check.heads_ok) == (True, False)


def test_ordinary_just_over_half_passes() -> None:
    assert approval_check(Threshold.ORDINARY, 2001, 3, 4000, 5).ok


# Special: at least three quarters in both dimensions, inclusive.
def test_special_exactly_three_quarters_passes() -> None:
    assert approval_check(Threshold.SPECIAL, 3000, 3, 4000, 4).ok


def test_special_area_fails_alone() -> None:
    check = approval_check(Threshold.SPECIAL, 2999, 3, 4000, 4)
    assert (check.area_ok, check.heads_ok) == (False, True)


def test_special_heads_fail_alone() -> None:
    check = approval_check(Threshold.SPECIAL, 4000, 2, 4000, 4)
    assert (check.area_ok, check.heads_ok) == (True, False)


@pytest.mark.parametrize("threshold", list(Threshold))
def test_nothing_passes_without_participants(threshold: Threshold) -> None:
    assert not approval_check(threshold, 0, 0, 0, 0).ok


pairs = st.integers(min_value=0, max_value=10**9)


@given(pairs, pairs, st.integers(1, 10**9), st.integers(1, 10**6))
def test_quorum_matches_rational_definition(p_area, p_heads, t_area, t_heads) -> None:
    expected_area = Fraction(p_area, t_area) >= Fraction(2, 3)
    expected_heads = Fraction(p_heads, t_heads) >= Fraction(2, 3)
    check = quorum_check(p_area, p_heads, t_area, t_heads)
    assert (check.area_ok, check.heads_ok) == (expected_area, expected_heads)


@given(st.data())
def test_approval_matches_rational_definition(data: st.DataObject) -> None:
    p_area = data.draw(st.integers(1, 10**9))
    p_heads = data.draw(st.integers(1, 10**6))
    a_area = data.draw(st.integers(0, p_area))
    a_heads = data.draw(st.integers(0, p_heads))
    ordinary = approval_check(Threshold.ORDINARY, a_area, a_heads, p_area, p_heads)
    assert ordinary.area_ok == (Fraction(a_area, p_area) > Fraction(1, 2))
    assert ordinary.heads_ok == (Fraction(a_heads, p_heads) > Fraction(1, 2))
    special = approval_check(Threshold.SPECIAL, a_area, a_heads, p_area, p_heads)
    assert special.area_ok == (Fraction(a_area, p_area) >= Fraction(3, 4))
    assert special.heads_ok == (Fraction(a_heads, p_heads) >= Fraction(3, 4))


@given(st.integers(0, 3000), st.integers(1, 3000))
def test_min_to_reach_quorum_is_the_least(p: int, t: int) -> None:
    x = min_to_reach_quorum(p, t)
    assert 3 * (p + x) >= 2 * t
    assert x == 0 or 3 * (p + x - 1) < 2 * t


@given(st.sampled_from(list(Threshold)), st.data())
def test_min_agreeing_is_the_least(threshold: Threshold, data: st.DataObject) -> None:
    p = data.draw(st.integers(0, 3000))
    a = data.draw(st.integers(0, p))
    x = min_agreeing_to_approve(threshold, a, p)

    def ok(extra: int) -> bool:
        check = approval_check(threshold, a + extra, a + extra, p + extra, p + extra)
        return check.ok

    assert ok(x)
    assert x == 0 or not ok(x - 1)
