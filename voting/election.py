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
  otherwise they are ranked by the assembly's ``ranking`` setting (approving
  heads then approving area, the default, or area then heads) and the first
  ``seats`` are elected — unless the last seat falls inside a group of
  candidates equal on both, in which case those strictly ahead are elected
  and the group is reported as a **tie** for the remaining seats.  The engine
  never guesses (no lot, no order of listing): a tie for the last seat elects
  nobody to it;
* an over-marked or unreadable paper ballot (``Choice.INVALID``) takes part
  (participation and quorum) and approves nobody.

Status values (:class:`ElectionStatus`): ``quorum_not_met``, ``elected`` (every
seat filled), ``partly_elected`` (some seats filled, fewer candidates qualified than
seats), ``tie_for_last_seat`` (those strictly ahead elected, the last seat(s) tied)
and ``failed`` (quorum met, nobody qualified).  Only ``elected`` fills the election:
the item ``passed`` only then.  Unfilled or tied seats go to a further round
(另行选举, :func:`further_round`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from voting.areas import ZERO, Measure
from voting.items import Item
from voting.matters import Threshold, approval_check
from voting.needs import Needs, needs
from voting.settings import AssemblySettings, Ranking


class ElectionStatus(StrEnum):
    """What an election item achieved (docs/rules.md section 5)."""

    QUORUM_NOT_MET = "quorum_not_met"  # fewer than 2/3 took part: nobody is elected
    ELECTED = "elected"  # every seat filled
    PARTLY_ELECTED = "partly_elected"  # some seats filled; fewer candidates qualified
    TIE_FOR_LAST_SEAT = "tie_for_last_seat"  # those ahead elected; the last seat(s) tied
    FAILED = "failed"  # the quorum was met but no candidate qualified


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
    invalid: Measure = ZERO  # invalid paper ballots: took part, approved nobody
    ranking: Ranking = Ranking.HEADS_THEN_AREA

    @property
    def unfilled_seats(self) -> int:
        """Seats nobody was elected to (tied seats among them): a further round fills them."""
        return self.seats - len(self.elected)

    def to_json(self) -> dict[str, object]:
        return {
            "seats": self.seats,
            "status": self.status.value,
            "elected": list(self.elected),
            "unfilled_seats": self.unfilled_seats,
            "tie": {"candidates": list(self.tie), "seats": self.tie_seats} if self.tie else None,
            "invalid": self.invalid.to_json(),
            "ranking": self.ranking.value,
            "candidates": [candidate.to_json() for candidate in self.candidates],
        }


def elect(
    item: Item,
    total: tuple[int, int],
    participating: tuple[int, int],
    approvals: Mapping[str, tuple[int, int]],
    quorum_met: bool,
    ranking: Ranking = Ranking.HEADS_THEN_AREA,
    invalid: tuple[int, int] = (0, 0),
) -> ElectionResult:
    """Decide an election item.

    ``total`` and ``participating`` are (hundredths, heads) of the item's scope (invalid
    ballots are among the participants); ``approvals`` maps each candidate to its
    approving (hundredths, heads); ``invalid`` the invalid ballots' (hundredths, heads).
    """
    p_area, p_heads = participating
    qualified: set[str] = set()
    for candidate in item.candidates:
        a_area, a_heads = approvals.get(candidate, (0, 0))
        if quorum_met and approval_check(Threshold.ORDINARY, a_area, a_heads, p_area, p_heads).ok:
            qualified.add(candidate)

    area_first = Ranking(ranking) is Ranking.AREA_THEN_HEADS

    def key(candidate: str) -> tuple[int, int]:
        a_area, a_heads = approvals.get(candidate, (0, 0))
        return (a_area, a_heads) if area_first else (a_heads, a_area)

    # equal candidates are listed by id only to print them in a stable order: the list
    # never decides a seat (an equal group at the last seat is a tie)
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
        status = ElectionStatus.TIE_FOR_LAST_SEAT
    elif len(elected) == seats:
        status = ElectionStatus.ELECTED
    elif elected:
        status = ElectionStatus.PARTLY_ELECTED
    else:
        status = ElectionStatus.FAILED
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
    return ElectionResult(seats, status, results, elected, tie, tie_seats,
                          Measure.of(*invalid), Ranking(ranking))


class ElectionRuleProblem(StrEnum):
    """Why an election item does not fit the assembly's election settings."""

    SEATS_OVER_COMMITTEE_SIZE = "seats_over_committee_size"  # more seats than members
    NOT_COMPETITIVE = "not_competitive"  # 差额选举 required: no more candidates than seats


def election_rule_problem(
    seats: int, candidates: int, settings: AssemblySettings
) -> ElectionRuleProblem | None:
    """Does an election of ``seats`` among ``candidates`` fit ``settings`` (None: it does)?

    The committee's size (``committee_size``, 指导规则 art. 31) bounds the seats one
    election fills; ``competitive_elections`` (差额选举) asks for more candidates than seats.
    """
    if settings.committee_size is not None and seats > settings.committee_size:
        return ElectionRuleProblem.SEATS_OVER_COMMITTEE_SIZE
    if settings.competitive_elections and candidates <= seats:
        return ElectionRuleProblem.NOT_COMPETITIVE
    return None


@dataclass(frozen=True, slots=True)
class FurtherRound:
    """A further round (另行选举) for the seats an election left open."""

    seats: int
    candidates: tuple[str, ...]
    status: ElectionStatus  # what the first round achieved


def further_round(result: ElectionResult) -> FurtherRound | None:
    """The seats an election left open and who stands for them (None: every seat is filled).

    A tie for the last seat: the tied candidates, for the tied seats (the tie elects
    nobody to them).  Otherwise (partly elected, failed, quorum not met): every candidate
    not elected, for the unfilled seats.  Candidates keep the first round's rank order.
    """
    return _open_seats(result.status, result.seats, result.elected, result.tie,
                       result.tie_seats, tuple(c.candidate for c in result.candidates))


def further_round_of(election: Mapping[str, Any]) -> FurtherRound | None:
    """:func:`further_round` of a published result's ``election`` object (``to_json``).

    Raises :class:`ValueError` when the object is not such a result."""
    try:
        tie = election["tie"] or {"candidates": [], "seats": 0}
        return _open_seats(ElectionStatus(election["status"]), int(election["seats"]),
                           tuple(election["elected"]), tuple(tie["candidates"]),
                           int(tie["seats"]),
                           tuple(c["candidate"] for c in election["candidates"]))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not an election result: {exc}") from None


def _open_seats(status: ElectionStatus, seats: int, elected: tuple[str, ...],
                tie: tuple[str, ...], tie_seats: int, ranked: tuple[str, ...]
                ) -> FurtherRound | None:
    if status is ElectionStatus.ELECTED or seats == len(elected):
        return None
    if status is ElectionStatus.TIE_FOR_LAST_SEAT:
        tied = set(tie)
        return FurtherRound(tie_seats, tuple(c for c in ranked if c in tied), status)
    chosen = set(elected)
    return FurtherRound(seats - len(elected), tuple(c for c in ranked if c not in chosen),
                        status)
