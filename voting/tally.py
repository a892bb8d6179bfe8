"""The tally: per item, who took part, who agreed, and whether the item passed.

``tally(roster, items, votes, settings) -> AssemblyResult`` is pure and
exact: areas are summed as integer hundredths and every threshold is an
integer comparison (:mod:`voting.matters`).  ``votes`` maps
(head id, item id) to the vote that counts — what
:func:`voting.casting.effective_votes` returns.

For each item, within the item's scope (its buildings, else the assembly):

* ``total`` — all heads and their area (the denominators T);
* ``participating`` = agree + oppose + abstain (P); ``agree`` (A);
* ``quorum_met`` — ``3·P ≥ 2·T`` in both dimensions;
* ``passed`` — quorum met and the item's threshold met (motions), or at
  least one candidate elected (elections, see :mod:`voting.election`);
* ``needs`` — what it still takes (:mod:`voting.needs`).

Non-voters joining the majority (从众, ``non_voters_join_majority``) applies
to motions only, and only once the quorum is met by those who actually took
part.  The *majority side* is agree if agree exceeds oppose in both area and
heads, oppose if oppose exceeds agree in both; otherwise there is no majority
side and nobody is added.  The non-participating heads and area of the
item's scope are then added to that side *and* to the participants before the
threshold is tested; ``participating``/``agree``/... still report what was
actually cast, ``non_voters_joined`` reports what was added.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from voting.areas import NONE, Count, Measure
from voting.ballots import Approval, Choice, Vote, vote_problem
from voting.election import ElectionResult, elect
from voting.errors import ItemError, RosterError, TallyError
from voting.heads import Roster, Scope
from voting.items import Item, index_items
from voting.matters import Check, approval_check, quorum_check
from voting.needs import Need, Needs, needs
from voting.settings import DEFAULT_SETTINGS, AssemblySettings


@dataclass(frozen=True, slots=True)
class Joined:
    """Non-voters added to the majority side (从众): which side, how many, how much area."""

    side: Choice
    measure: Measure

    def to_json(self) -> dict[str, object]:
        return {"side": self.side.value, **self.measure.to_json()}


@dataclass(frozen=True, slots=True)
class MotionCount:
    """What was cast on a motion, within the item's scope (see the module docstring)."""

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

    @property
    def approving(self) -> Count:
        """Who approved at least one candidate."""
        return self.participating.minus(self.blank)


@dataclass(frozen=True)
class ItemResult:
    """The outcome of one item; see the module docstring for each figure."""

    item: Item
    total: Measure
    participating: Measure
    agree: Measure
    oppose: Measure
    abstain: Measure
    quorum: Check
    approval: Check | None
    passed: bool
    needs: Needs
    joined: Joined | None = None
    election: ElectionResult | None = None

    @property
    def quorum_met(self) -> bool:
        return self.quorum.ok

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict; areas are exact two-place decimal strings."""
        item = self.item
        data: dict[str, Any] = {
            "id": item.item_id,
            "type": item.kind.value,
            "matter": item.threshold.value,
            "kind": None if item.matter is None else int(item.matter),
            "scope": None if item.buildings is None else sorted(item.buildings),
            "total": self.total.to_json(),
            "quorum_met": self.quorum_met,
            "passed": self.passed,
            "participating": self.participating.to_json(),
            "agree": self.agree.to_json(),
            "oppose": self.oppose.to_json(),
            "abstain": self.abstain.to_json(),
            "quorum": {"area": self.quorum.area_ok, "heads": self.quorum.heads_ok},
            "approval": None
            if self.approval is None
            else {"area": self.approval.area_ok, "heads": self.approval.heads_ok},
            "non_voters_joined": None if self.joined is None else self.joined.to_json(),
            "needs": self.needs.to_json(),
        }
        if self.election is not None:
            data["election"] = self.election.to_json()
        return data


@dataclass(frozen=True)
class AssemblyResult:
    """All items' results, with the assembly's totals and the settings used."""

    total: Measure
    items: tuple[ItemResult, ...]
    settings: AssemblySettings

    def item(self, item_id: str) -> ItemResult:
        for result in self.items:
            if result.item.item_id == item_id:
                return result
        raise KeyError(item_id)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (``json.dumps`` it); areas are exact decimal strings."""
        return {
            "total": self.total.to_json(),
            "settings": self.settings.to_dict(),
            "items": [result.to_json() for result in self.items],
        }


def _item_scope(roster: Roster, item: Item) -> Scope:
    try:
        scope = roster.scope(item.buildings)
    except RosterError as exc:
        raise ItemError(f'item "{item.item_id}": {exc}') from None
    if not scope.area_of:
        raise ItemError(
            f'item "{item.item_id}": no counted unit in buildings {sorted(item.buildings or ())}'
        )
    return scope


def tally(
    roster: Roster,
    items: Iterable[Item],
    votes: Mapping[tuple[str, str], Vote],
    settings: AssemblySettings = DEFAULT_SETTINGS,
) -> AssemblyResult:
    """Tally every item.  Raises :class:`TallyError` for a vote that cannot count.

    A vote cannot count when its item is unknown, its head is not in the
    roster or holds no area in the item's scope, or it does not fit the item
    (e.g. too many approvals) — :func:`voting.casting.check_cast` refuses all
    of these at cast time, so here they mean inconsistent input.
    """
    if (roster.building_scope, roster.count_parking) != (
        settings.scope_buildings,
        settings.count_parking,
    ):
        raise TallyError(
            "the roster was built under other settings (scope_buildings / count_parking) "
            "than the tally's; build it with the assembly's settings"
        )
    indexed = index_items(items)
    scopes = {item_id: _item_scope(roster, item) for item_id, item in indexed.items()}
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
    results = []
    for item_id, item in indexed.items():
        scope = scopes[item_id]
        area_of = scope.area_of
        agree, oppose, abstain, other_heads, other_votes = buckets[item_id]
        try:
            agreeing, opposing, abstaining = (
                _count(area_of, agree), _count(area_of, oppose), _count(area_of, abstain))
        except KeyError as exc:
            raise _unknown_head(roster, exc.args[0], item) from None
        total = Count(scope.total_hundredths, len(area_of))
        if item.is_election:
            if agree or oppose:
                head_id = (agree or oppose)[0]
                problem = vote_problem(item, agree_vote if agree else oppose_vote)
                raise TallyError(f"vote of head {head_id}: {problem[1] if problem else ''}")
            counted = _count_election(item, total, area_of, abstaining, other_heads,
                                      other_votes, roster)
            results.append(_election(item, counted))
        else:
            if other_heads:
                head_id, vote = other_heads[0], other_votes[0]
                problem = vote_problem(item, vote)
                raise TallyError(f"vote of head {head_id}: {problem[1] if problem else repr(vote)}")
            results.append(_motion(item, MotionCount(total, agreeing, opposing, abstaining),
                                   settings))
    return AssemblyResult(roster.total, tuple(results), settings)


def _count(area_of: Mapping[str, int], heads: list[str]) -> Count:
    """``heads`` and their area (KeyError: a head without area in the scope)."""
    return Count(sum(map(area_of.__getitem__, heads)), len(heads))


def _unknown_head(roster: Roster, head_id: str, item: Item) -> TallyError:
    if head_id not in roster.heads:
        return TallyError(f'vote on item "{item.item_id}": no head {head_id} in the roster')
    return TallyError(
        f'vote of head {head_id} on item "{item.item_id}": the head holds no unit in '
        f"buildings {sorted(item.buildings or ())}"
    )


def _motion(item: Item, count: MotionCount, settings: AssemblySettings) -> ItemResult:
    participating = count.participating
    quorum = quorum_check(participating.area, participating.heads, *count.total)
    joined = None
    # what approval is tested on: the ballots, and the non-voters who joined the majority
    deciding_agree, deciding = count.agree, participating
    if settings.non_voters_join_majority and quorum.ok:
        absent = count.total.minus(participating)
        side = count.majority_side
        if side is not None and absent.heads > 0:
            joined = Joined(side, absent.measure())
            deciding = participating.plus(absent)
            if side is Choice.AGREE:
                deciding_agree = count.agree.plus(absent)
    approval = approval_check(item.threshold, deciding_agree.area, deciding_agree.heads,
                              deciding.area, deciding.heads)
    return ItemResult(
        item=item,
        total=count.total.measure(),
        participating=participating.measure(),
        agree=count.agree.measure(),
        oppose=count.oppose.measure(),
        abstain=count.abstain.measure(),
        quorum=quorum,
        approval=approval,
        passed=quorum.ok and approval.ok,
        needs=needs(item.threshold, count.total, participating, count.agree),
        joined=joined,
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
    approving_area = dict.fromkeys(item.candidates, 0)
    approving_heads = dict.fromkeys(item.candidates, 0)
    for head_id, vote in zip(heads, votes, strict=True):
        area = area_of.get(head_id)
        if area is None:
            raise _unknown_head(roster, head_id, item)
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
    )


def _election(item: Item, count: ElectionCount) -> ItemResult:
    participating = count.participating
    quorum = quorum_check(participating.area, participating.heads, *count.total)
    outcome = elect(item, count.total, participating, count.approvals, quorum.ok)
    candidate_needs = [result.needs.to_pass for result in outcome.candidates]
    to_pass = Need(
        min(need.area for need in candidate_needs),
        min(need.heads for need in candidate_needs),
        any(need.possible for need in candidate_needs),
    )
    item_needs = needs(item.threshold, count.total, participating, participating)
    return ItemResult(
        item=item,
        total=count.total.measure(),
        participating=participating.measure(),
        agree=count.approving.measure(),
        oppose=NONE.measure(),
        abstain=count.blank.measure(),
        quorum=quorum,
        approval=None,
        passed=quorum.ok and bool(outcome.elected),
        needs=Needs(item_needs.quorum, to_pass),
        election=outcome,
    )
