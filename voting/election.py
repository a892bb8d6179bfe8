"""Committee elections (选举业主委员会, matter 3): who is elected, and honest ties.

Rules (documented in docs/rules.md):

* each owner may approve up to ``seats`` candidates (more is refused at cast
  time, see :func:`voting.ballots.vote_problem`); a blank ballot takes part
  and approves nobody;
* the item needs its quorum like any other item;
* a candidate *qualifies* with an ordinary double majority of the heads and
  area taking part on the item: ``2·A_area > P_area`` and
  ``2·A_heads > P_heads`` where A is who approved that candidate;
* if no more candidates qualify than there are seats, all are elected;
  otherwise they are ranked by approving heads, then approving area, and the
  first ``seats`` are elected — unless the last seat falls inside a group of
  candidates equal on both, in which case those strictly ahead are elected
  and the group is reported as a **tie** for the remaining seats.  The engine
  never guesses (no lot, no order of listing); the assembly rules decide how
  a tie is resolved.

Status values: ``quorum_not_met``, ``elected`` (all seats filled),
``partial`` (some seats filled, fewer candidates qualified), ``none_elected``
and ``tie``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from voting.areas import Measure
from voting.items import Item
from voting.matters import Threshold, approval_check
from voting.needs import Needs, needs


class ElectionStatus(StrEnum):
    QUORUM_NOT_MET = "quorum_not_met"
    ELECTED = "elected"
    PARTIAL = "partial"
    NONE_ELECTED = "none_elected"
    TIE = "tie"


@dataclass(frozen=True, slots=True)
class CandidateResult:
    """One candidate: the approving heads/area, whether they qualified and were elected."""

    candidate: str
    agree: Measure
    qualified: bool
    elected: bool
    needs: Needs

    def to_json(self) -> dict[str, object]:
        return {
            "candidate": self.candidate,
            "agree": self.agree.to_json(),
            "qualified": self.qualified,
            "elected": self.elected,
            "needs": self.needs.to_json(),
        }


@dataclass(frozen=True, slots=True)
class ElectionResult:
    """Per-candidate results in rank order, the elected, and any unresolved tie."""

    seats: int
    status: ElectionStatus
    candidates: tuple[CandidateResult, ...]
    elected: tuple[str, ...]
    tie: tuple[str, ...]
    tie_seats: int

    def to_json(self) -> dict[str, object]:
        return {
            "seats": self.seats,
            "status": self.status.value,
            "elected": list(self.elected),
            "tie": {"candidates": list(self.tie), "seats": self.tie_seats} if self.tie else None,
            "candidates": [candidate.to_json() for candidate in self.candidates],
        }


def elect(
    item: Item,
    total: tuple[int, int],
    participating: tuple[int, int],
    approvals: Mapping[str, tuple[int, int]],
    quorum_met: bool,
) -> ElectionResult:
    """Decide an election item.

    ``total`` and ``participating`` are (hundredths, heads) of the item's scope;
    ``approvals`` maps each candidate to its approving (hundredths, heads).
    """
    p_area, p_heads = participating
    qualified: set[str] = set()
    for candidate in item.candidates:
        a_area, a_heads = approvals.get(candidate, (0, 0))
        if quorum_met and approval_check(Threshold.ORDINARY, a_area, a_heads, p_area, p_heads).ok:
            qualified.add(candidate)

    def key(candidate: str) -> tuple[int, int]:
        a_area, a_heads = approvals.get(candidate, (0, 0))
        return (a_heads, a_area)

    ranked = sorted(item.candidates, key=lambda c: (-key(c)[0], -key(c)[1], c))
    in_order = [c for c in ranked if c in qualified]
    seats = item.seats
    tie: tuple[str, ...] = ()
    tie_seats = 0
    if len(in_order) <= seats:
        elected = tuple(in_order)
    else:
        cut = key(in_order[seats - 1])
        ahead = tuple(c for c in in_order if key(c) > cut)
        level = tuple(sorted(c for c in in_order if key(c) == cut))
        if len(ahead) + len(level) <= seats:  # the last seat is not shared
            elected = ahead + level
        else:
            elected = ahead
            tie = level
            tie_seats = seats - len(ahead)
    if not quorum_met:
        status = ElectionStatus.QUORUM_NOT_MET
    elif tie:
        status = ElectionStatus.TIE
    elif len(elected) == seats:
        status = ElectionStatus.ELECTED
    elif elected:
        status = ElectionStatus.PARTIAL
    else:
        status = ElectionStatus.NONE_ELECTED
    chosen = set(elected)
    results = tuple(
        CandidateResult(
            candidate,
            Measure.of(*approvals.get(candidate, (0, 0))),
            candidate in qualified,
            candidate in chosen,
            needs(Threshold.ORDINARY, total, participating, approvals.get(candidate, (0, 0))),
        )
        for candidate in ranked
    )
    return ElectionResult(seats, status, results, elected, tie, tie_seats)
