"""What it takes: the figures committees follow while a vote is open."""

from __future__ import annotations

from decimal import Decimal
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.rosters import ABSTAIN, AGREE, OPPOSE, decide
from voting import Threshold, approval_check, quorum_check
from voting.needs import needs

TEN6 = {k: "10" for k in "abcdef"}


def test_quorum_and_pass_figures_by_hand() -> None:
    # T = 60 m², 6 heads.  P = a, b (20 m², 2 heads), both agree.
    # quorum: 3(2 + x) ≥ 12 → x = 2 heads; 3(2000 + y) ≥ 12000 → y = 2000 (20.00 m²).
    # pass (ordinary): 2·A > P already holds, so the quorum figures decide.
    result = decide(TEN6, {"a": AGREE, "b": AGREE}).item("m")
    need = result.needs
    assert (need.quorum.heads, need.quorum.area) == (2, Decimal("20.00"))
    assert need.quorum.possible
    assert (need.to_pass.heads, need.to_pass.area) == (2, Decimal("20.00"))


def test_pass_figure_when_approval_is_the_bottleneck() -> None:
    # P = 4 heads/40 m² (quorum met), A = 1 head/10 m².  Ordinary: x ≥ 4 − 2 + 1 = 3
    # heads, y ≥ 4000 − 2000 + 1 = 2001 hundredths.  Only 2 heads (20 m²) remain.
    choices = {"a": AGREE, "b": OPPOSE, "c": OPPOSE, "d": ABSTAIN}
    result = decide(TEN6, choices).item("m")
    assert result.needs.quorum.heads == 0 and result.needs.quorum.possible
    to_pass = result.needs.to_pass
    assert (to_pass.heads, to_pass.area, to_pass.possible) == (3, Decimal("20.01"), False)


def test_special_pass_figure() -> None:
    # Special: x ≥ 3P − 4A.  P = 3 heads (2 agree): 9 − 8 = 1 head; area 9000 − 8000 = 1000.
    result = decide(TEN6, {"a": AGREE, "b": AGREE, "c": OPPOSE}, 6).item("m")
    assert (result.needs.to_pass.heads, result.needs.to_pass.area) == (1, Decimal("10.00"))
    assert result.needs.quorum.heads == 1  # and quorum needs one more head anyway


def test_met_item_needs_nothing() -> None:
    result = decide(TEN6, dict.fromkeys("abcdef", AGREE)).item("m")
    assert result.needs.quorum.met and result.needs.to_pass.met


@settings(max_examples=60)
@given(
    st.sampled_from(list(Threshold)),
    st.lists(st.integers(1, 9), min_size=1, max_size=7),
    st.data(),
)
def test_figures_against_brute_force(threshold, areas, data) -> None:
    """Check possible/impossible exactly and the figures as lower bounds by enumeration."""
    n = len(areas)
    roles = data.draw(st.lists(st.sampled_from("AOBN"), min_size=n, max_size=n))
    total = (sum(areas), n)
    part = [i for i in range(n) if roles[i] != "N"]
    agree = [i for i in range(n) if roles[i] == "A"]
    rest = [i for i in range(n) if roles[i] == "N"]
    p = (sum(areas[i] for i in part), len(part))
    a = (sum(areas[i] for i in agree), len(agree))
    figures = needs(threshold, total, p, a)
    reach_quorum = []
    reach_pass = []
    for size in range(len(rest) + 1):
        for extra in combinations(rest, size):
            x = (sum(areas[i] for i in extra), len(extra))
            quorum = quorum_check(p[0] + x[0], p[1] + x[1], *total).ok
            approve = approval_check(threshold, a[0] + x[0], a[1] + x[1], p[0] + x[0], p[1] + x[1])
            if quorum:
                reach_quorum.append(x)
                if approve.ok:
                    reach_pass.append(x)
    for figure, reachable in ((figures.quorum, reach_quorum), (figures.to_pass, reach_pass)):
        assert figure.possible == bool(reachable)
        hundredths = int(figure.area * 100)
        for x in reachable:  # no real set of late voters does it with less
            assert x[0] >= hundredths and x[1] >= figure.heads
