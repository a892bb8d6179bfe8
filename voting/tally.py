"""The tally: per item, who took part, who agreed, and whether the item passed.

Two stages (:mod:`voting.aggregate`): :func:`voting.aggregate.aggregate` sums the votes
into per-item totals, :func:`decide` turns totals into the result; a secret-ballot tally
(``ledger.secret.tally``) reaches the same totals homomorphically and calls the same
:func:`decide`.

``tally(roster, items, votes, settings) -> AssemblyResult`` is pure and
exact: areas are summed as integer hundredths and every threshold is an
integer comparison (:mod:`voting.matters`).  ``votes`` maps
(head id, item id) to the vote that counts — what
:func:`voting.casting.effective_votes` returns.

For each item, within the item's scope (its buildings, else the assembly):

* ``total`` — all heads and their area (the denominators T);
* ``participating`` = agree + oppose + abstain (P); ``agree`` (A);
* ``quorum_met`` — ``3·P ≥ 2·T`` in both dimensions;
* ``passed`` — quorum met and the item's threshold met (motions), or every
  seat filled (elections: status ``elected``, see :mod:`voting.election`);
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

from voting.aggregate import Aggregate, ElectionCount, MotionCount, aggregate
from voting.areas import NONE, Measure
from voting.ballots import Choice, Vote
from voting.election import ElectionResult, ElectionStatus, elect
from voting.errors import TallyError
from voting.heads import Roster
from voting.items import Item
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


def decide(counts: Aggregate, settings: AssemblySettings = DEFAULT_SETTINGS) -> AssemblyResult:
    """Stage (b): the result from the per-item totals alone (either mode, see
    :mod:`voting.aggregate`): quorum, thresholds, needs, 从众, elections and statuses."""
    results = []
    for item, count in counts.counts:
        if isinstance(count, ElectionCount):
            if not item.is_election:
                raise TallyError(f'item "{item.item_id}": an election count for a motion')
            results.append(_election(item, count, settings))
        else:
            if item.is_election:
                raise TallyError(f'item "{item.item_id}": a motion count for an election')
            results.append(_motion(item, count, settings))
    return AssemblyResult(counts.total, tuple(results), settings)


def tally(
    roster: Roster,
    items: Iterable[Item],
    votes: Mapping[tuple[str, str], Vote],
    settings: AssemblySettings = DEFAULT_SETTINGS,
    *,
    item_rosters: Mapping[str, Roster] | None = None,
) -> AssemblyResult:
    """Tally every item: :func:`decide` of :func:`voting.aggregate.aggregate`.  Raises
    :class:`TallyError` for a vote that cannot count.

    ``item_rosters``: the roster each item is counted on when units were sold out of
    a multi-unit head during the vote (:func:`voting.sales.item_rosters`); ``roster``
    then gives the community totals.

    A vote cannot count when its item is unknown, its head is not in the
    roster or holds no area in the item's scope, or it does not fit the item
    (e.g. too many approvals) — :func:`voting.casting.check_cast` refuses all
    of these at cast time, so here they mean inconsistent input.
    """
    return decide(aggregate(roster, items, votes, settings, item_rosters=item_rosters),
                  settings)


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


def _election(item: Item, count: ElectionCount, settings: AssemblySettings) -> ItemResult:
    participating = count.participating
    quorum = quorum_check(participating.area, participating.heads, *count.total)
    outcome = elect(item, count.total, participating, count.approvals, quorum.ok,
                    settings.ranking, count.invalid)
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
        # an election passes only when it fills every seat: partly elected, a tie for
        # the last seat or nobody elected leave the committee incomplete (status says which)
        passed=quorum.ok and outcome.status is ElectionStatus.ELECTED,
        needs=Needs(item_needs.quorum, to_pass),
        election=outcome,
    )
