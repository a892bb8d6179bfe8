"""Stage (a) of the tally: from the counted votes to per-item totals, in hundredths and heads.

The tally has two stages, each one rule in one place:

* **aggregate** (this module) — who took part on each item, within the item's scope, and
  how their heads and area (integer hundredths of m²) divide among the options: a
  :class:`MotionCount` (agree / oppose / abstain) or an :class:`ElectionCount` (each
  candidate's approvals, blank and invalid ballots), beside the scope's totals T;
* **decide** (:func:`voting.tally.decide`) — from those totals alone to the result: quorum,
  thresholds, "what it takes", non-voters joining the majority, elections with ranking and
  ties, statuses.

In open mode :func:`aggregate` sums the clear votes.  In secret mode the same
:class:`MotionCount` / :class:`ElectionCount` are built from homomorphically summed and
jointly decrypted totals (``ledger.secret.tally``), with each head weighted by the area of
:func:`item_scopes` — the scope this module sums — so both modes reach the same decision
through the same :func:`voting.tally.decide`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from voting.areas import NONE, Count, Measure
from voting.ballots import Approval, Choice, Vote, vote_problem
from voting.errors import ItemError, RosterError, TallyError
from voting.heads import Roster, Scope
from voting.items import Item, index_items
from voting.settings import AssemblySettings


@dataclass(frozen=True, slots=True)
class MotionCount:
    """What was cast on a motion, within the item's scope."""

    total: Count  # every head of the scope and its area (T)
    agree: Count  # A
    oppose: Count
    abstain: Count

    @property
    def participating(self) -> Count:
        """P: who took part — agree, oppose or abstain."""
        return Count(self.agree.area + self.oppose.area + self.abstain.area,
                     self.agree.heads + self.oppose.heads + self.abstain.heads)

    @property
    def majority_side(self) -> Choice | None:
        """Agree if agree exceeds oppose in both area and heads, oppose if the reverse,
        else None (从众 adds the non-voters to this side)."""
        agree, oppose = self.agree, self.oppose
        if agree.area > oppose.area and agree.heads > oppose.heads:
            return Choice.AGREE
        if oppose.area > agree.area and oppose.heads > agree.heads:
            return Choice.OPPOSE
        return None


@dataclass(frozen=True, slots=True)
class ElectionCount:
    """What was cast on an election item, within the item's scope."""

    total: Count  # every head of the scope and its area (T)
    participating: Count  # every ballot on the item, blank ones included (P)
    blank: Count  # ballots approving nobody (abstentions and empty approvals)
    approvals: Mapping[str, Count]  # per candidate, who approved them (A of each)
    invalid: Count = NONE  # over-marked or unreadable paper ballots: took part, approved nobody

    @property
    def approving(self) -> Count:
        """Who approved at least one candidate."""
        return self.participating.minus(self.blank).minus(self.invalid)


ItemCount = MotionCount | ElectionCount


@dataclass(frozen=True)
class Aggregate:
    """Stage (a)'s outcome: the assembly's total and each item's count, in notice order."""

    total: Measure  # every head of the assembly (after the sales) and its area
    counts: tuple[tuple[Item, ItemCount], ...]


def check_roster(roster: Roster, settings: AssemblySettings) -> None:
    """Refuse a roster built under other settings than the tally's."""
    if (roster.building_scope, roster.count_parking) != (
        settings.scope_buildings,
        settings.count_parking,
    ):
        raise TallyError(
            "the roster was built under other settings (scope_buildings / count_parking) "
            "than the tally's; build it with the assembly's settings"
        )


def item_scope(roster: Roster, item: Item) -> Scope:
    """The heads of ``item``'s scope and their area in it (the weights of a secret tally)."""
    try:
        scope = roster.scope(item.buildings)
    except RosterError as exc:
        raise ItemError(f'item "{item.item_id}": {exc}') from None
    if not scope.area_of:
        raise ItemError(
            f'item "{item.item_id}": no counted unit in buildings {sorted(item.buildings or ())}'
        )
    return scope


def item_scopes(roster: Roster, items: Iterable[Item],
                item_rosters: Mapping[str, Roster] | None = None) -> dict[str, Scope]:
    """Each item's scope, on the roster the item is counted on (``item_rosters``: units
    sold during the vote, :func:`voting.sales.item_rosters`; else ``roster``)."""
    rosters = item_rosters or {}
    return {item.item_id: item_scope(rosters.get(item.item_id, roster), item) for item in items}


def participation(scope: Scope, heads: Iterable[str], roster: Roster, item: Item) -> Count:
    """The heads that took part on ``item`` and their area in its scope (public in both
    modes); raises :class:`TallyError` for a head without area in the scope."""
    listed = list(heads)
    try:
        return _count(scope.area_of, listed)
    except KeyError as exc:
        raise unknown_head(roster, exc.args[0], item) from None


def participations(
    roster: Roster,
    items: Iterable[Item],
    votes: Mapping[tuple[str, str], object],
    *,
    item_rosters: Mapping[str, Roster] | None = None,
) -> tuple[tuple[Item, Count, Count], ...]:
    """Per item: T (its scope) and P (who has a counted vote on it, whatever the vote:
    clear or sealed) — the public half of stage (a), for the live figures of either mode."""
    indexed = index_items(items)
    rosters = item_rosters or {}
    voters: dict[str, list[str]] = {item_id: [] for item_id in indexed}
    for head_id, item_id in votes:
        if item_id not in voters:
            raise TallyError(f'vote of head {head_id}: no item "{item_id}"')
        voters[item_id].append(head_id)
    out = []
    for item_id, item in indexed.items():
        on = rosters.get(item_id, roster)
        scope = item_scope(on, item)
        out.append((item, Count(scope.total_hundredths, len(scope.area_of)),
                    participation(scope, voters[item_id], on, item)))
    return tuple(out)


def aggregate(
    roster: Roster,
    items: Iterable[Item],
    votes: Mapping[tuple[str, str], Vote],
    settings: AssemblySettings,
    *,
    item_rosters: Mapping[str, Roster] | None = None,
) -> Aggregate:
    """Sum the clear votes per item (open mode).  Raises :class:`TallyError` for a vote that
    cannot count (see :func:`voting.tally.tally`)."""
    check_roster(roster, settings)
    indexed = index_items(items)
    rosters = item_rosters or {}
    scopes = item_scopes(roster, indexed.values(), rosters)
    # One cheap pass sorts head ids into agree / oppose / abstain / other per item,
    # allocating nothing per vote; areas are then summed per group at C speed.
    # Errors are rare and explained afterwards by slower code.
    buckets: dict[str, tuple[list[str], list[str], list[str], list[str], list[Vote]]] = {
        item_id: ([], [], [], [], []) for item_id in indexed
    }
    agree_vote, oppose_vote, abstain_vote = Choice.AGREE, Choice.OPPOSE, Choice.ABSTAIN
    try:
        for (head_id, item_id), vote in votes.items():
            groups = buckets[item_id]
            if vote is agree_vote:
                groups[0].append(head_id)
            elif vote is oppose_vote:
                groups[1].append(head_id)
            elif vote is abstain_vote:
                groups[2].append(head_id)
            else:
                groups[3].append(head_id)
                groups[4].append(vote)
    except KeyError:
        for head_id, item_id in votes:
            if item_id not in indexed:
                raise TallyError(f'vote of head {head_id}: no item "{item_id}"') from None
        raise  # pragma: no cover - only the item lookup can fail above
    counts: list[tuple[Item, ItemCount]] = []
    for item_id, item in indexed.items():
        scope = scopes[item_id]
        area_of = scope.area_of
        agree, oppose, abstain, other_heads, other_votes = buckets[item_id]
        try:
            agreeing, opposing, abstaining = (
                _count(area_of, agree), _count(area_of, oppose), _count(area_of, abstain))
        except KeyError as exc:
            raise unknown_head(rosters.get(item_id, roster), exc.args[0], item) from None
        total = Count(scope.total_hundredths, len(area_of))
        if item.is_election:
            if agree or oppose:
                head_id = (agree or oppose)[0]
                problem = vote_problem(item, agree_vote if agree else oppose_vote)
                raise TallyError(f"vote of head {head_id}: {problem[1] if problem else ''}")
            counts.append((item, _count_election(item, total, area_of, abstaining, other_heads,
                                                 other_votes, rosters.get(item_id, roster))))
        else:
            if other_heads:
                head_id, vote = other_heads[0], other_votes[0]
                problem = vote_problem(item, vote)
                raise TallyError(f"vote of head {head_id}: {problem[1] if problem else repr(vote)}")
            counts.append((item, MotionCount(total, agreeing, opposing, abstaining)))
    return Aggregate(roster.total, tuple(counts))


def _count(area_of: Mapping[str, int], heads: list[str]) -> Count:
    """``heads`` and their area (KeyError: a head without area in the scope)."""
    return Count(sum(map(area_of.__getitem__, heads)), len(heads))


def unknown_head(roster: Roster, head_id: str, item: Item) -> TallyError:
    if head_id not in roster.heads:
        return TallyError(f'vote on item "{item.item_id}": no head {head_id} in the roster')
    return TallyError(
        f'vote of head {head_id} on item "{item.item_id}": the head holds no unit in '
        f"buildings {sorted(item.buildings or ())}"
    )


def _count_election(
    item: Item,
    total: Count,
    area_of: Mapping[str, int],
    abstaining: Count,
    heads: list[str],
    votes: list[Vote],
    roster: Roster,
) -> ElectionCount:
    """Sum the approvals per candidate; ``abstaining``: the abstentions, already summed."""
    seats = item.seats
    allowed = item.candidate_set
    # summed per vote: plain integers, named once summed
    participating_area, participating_heads = abstaining
    blank_area, blank_heads = abstaining
    invalid_area = invalid_heads = 0
    approving_area = dict.fromkeys(item.candidates, 0)
    approving_heads = dict.fromkeys(item.candidates, 0)
    for head_id, vote in zip(heads, votes, strict=True):
        area = area_of.get(head_id)
        if area is None:
            raise unknown_head(roster, head_id, item)
        if vote is Choice.INVALID:  # took part; counts for no candidate
            participating_area += area
            participating_heads += 1
            invalid_area += area
            invalid_heads += 1
            continue
        if type(vote) is not Approval:
            problem = vote_problem(item, vote)
            raise TallyError(f"vote of head {head_id}: {problem[1] if problem else repr(vote)}")
        chosen = vote.candidates
        if len(chosen) > seats or not chosen <= allowed:
            problem = vote_problem(item, vote)
            raise TallyError(f"vote of head {head_id}: {problem[1] if problem else repr(vote)}")
        participating_area += area
        participating_heads += 1
        if not chosen:
            blank_area += area
            blank_heads += 1
        for candidate in chosen:
            approving_area[candidate] += area
            approving_heads[candidate] += 1
    return ElectionCount(
        total,
        Count(participating_area, participating_heads),
        Count(blank_area, blank_heads),
        {c: Count(approving_area[c], approving_heads[c]) for c in item.candidates},
        Count(invalid_area, invalid_heads),
    )
