"""Which ballots count: the casting rules applied to a vote's events, one after the other.

:class:`Counting` is the one implementation of "replay the ballots and keep the vote
that counts".  The offline verifier (:mod:`ledger.replay`) feeds it the log's entries,
``ownervote tally`` (:mod:`voting.tallyballots`) the ballots, representatives and
transfers of a tally file, and :func:`replay` plain ballot events; all three therefore
apply revote, precedence, proxies, the co-owner rule and transfers exactly as the
server's :func:`voting.casting.check_cast` does when it accepts a ballot.

For each head it keeps a :class:`~voting.headhistory.HeadState` (what the casting rules
read of its accepted ballots), and for each agent the heads it acted for; a ballot the
rules refuse raises :class:`~voting.errors.CastRefused` and changes nothing.  For each
head and item the vote that counts is the one of the last *accepted* ballot on that item.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

from voting.ballots import BallotEvent, Channel, Vote
from voting.casting import SellerSale, Transfer, check_cast
from voting.errors import CastRefused, RefusalReason
from voting.headhistory import HeadState
from voting.heads import Roster, Scope
from voting.items import Item
from voting.sales import Sale, SalesState, record_sale, scopes_with_sales, tally_with_sales
from voting.settings import AssemblySettings
from voting.tally import AssemblyResult

#: The most accepted (head, history, ballot) combinations remembered (see Counting.cast).
MAX_MEMO = 200_000


class Counting:
    """The state of a vote's count while its events are fed in order (see the module doc).

    ``heads``, ``representatives`` and ``transfers`` are read by callers that judge more
    than the casting rules (the verifier's ballot numbers and times); ``votes`` and
    ``counted`` (the position of the ballot each vote comes from) are the outcome.
    """

    def __init__(self, settings: AssemblySettings, items: Mapping[str, Item] | None = None,
                 roster: Roster | None = None) -> None:
        self.settings = settings
        self.items = items
        self.frozen = roster  # the roster frozen at notice
        self.roster = roster  # the roster after the sales so far (voting.sales)
        self.sales: list[Sale] = []
        self.sellers: dict[str, SellerSale] = {}
        self._sales: SalesState | None = None
        self._item_rosters: dict[str, Roster] = {}
        self.heads: dict[str, HeadState] = {}
        self.agents: dict[str, set[str]] = {}  # agent -> heads it cast proxy ballots for
        self.representatives: dict[str, str] = {}  # head -> the co-owner the committee chose
        self.transfers: dict[str, Transfer] = {}
        self.votes: dict[tuple[str, str], Vote] = {}
        self.counted: dict[tuple[str, str], int] = {}
        self._accepted: set[Hashable] = set()

    def head(self, head_id: str) -> HeadState:
        state = self.heads.get(head_id)
        if state is None:
            state = self.heads[head_id] = HeadState()
        return state

    def represent(self, head_id: str, voter: str) -> None:
        """The committee records ``voter`` as the co-owner who votes for ``head_id``."""
        self.representatives[head_id] = voter

    def transfer(self, head_id: str, buyer: str) -> None:
        """``head_id``'s unit was sold to ``buyer``: from now on the buyer votes for it.

        The seller's accepted ballots so far stand on their items (they lock them); the
        buyer's ballots are judged among the buyer's own, and a representative recorded
        before the sale no longer applies.
        """
        state = self.head(head_id)
        self.transfers[head_id] = Transfer(buyer, state.items())
        self.heads[head_id] = HeadState(state.seq)
        self.representatives.pop(head_id, None)

    def sell(self, head_id: str, unit_id: str, buyer: str,
             buyer_head: str | None = None) -> Sale:
        """``unit_id`` of the multi-unit head ``head_id`` was sold to ``buyer`` (docs/rules.md
        §7.7): split the head (:func:`voting.sales.record_sale`; raises ``SaleRefused``).

        The items the seller's head voted on so far stay the seller's for the unit: the
        seller may not change those ballots, and a new buyer head may not vote on them.
        """
        if self.frozen is None:
            raise ValueError("a sale needs the roster")
        state = self._sales or SalesState.start(self.frozen)
        state = record_sale(state, head_id, unit_id, buyer, buyer_head,
                            self.head(head_id).items())
        rosters = state.item_rosters(self.items or ())
        self._sales = state
        self.roster = state.roster
        self.sales = list(state.sales)
        self.sellers = dict(state.sellers)
        self.transfers.update(state.buyers)
        self._item_rosters = rosters
        return state.sales[-1]

    def result(self, items: Iterable[Item]) -> AssemblyResult:
        """The tally of the votes that count, on the roster split by the sales."""
        if self.frozen is None:
            raise ValueError("a tally needs the roster")
        return tally_with_sales(self.frozen, items, self.votes, self.settings, self.sales)

    def scopes(self, items: Iterable[Item]) -> tuple[Roster, dict[str, Scope]]:
        """The community roster and each item's scope, split by the sales as
        :meth:`result` counts them (a secret tally weighs each head by its area there)."""
        if self.frozen is None:
            raise ValueError("a tally needs the roster")
        return scopes_with_sales(self.frozen, items, self.sales)

    def cast(self, seq: int, head_id: str, channel: Channel, votes: Mapping[str, Vote],
             agent: str | None = None, voter: str | None = None,
             memo: Hashable | None = None) -> None:
        """Accept the ballot (it may now count) or raise the rules' :class:`CastRefused`.

        ``seq`` orders the ballot among the head's (it must exceed every earlier one).
        ``memo``: a hashable stand-in for ``votes`` (the verifier passes the ballot's
        canonical bytes); with it, a combination of head, history, channel, votes, voter,
        representative and transfer accepted once is accepted again without running the
        rules (:func:`~voting.casting.check_cast` is pure and reads nothing else of an
        agent-less ballot: the latest seq is always lower).
        """
        state = self.head(head_id)
        rep = self.representatives.get(head_id)
        transfer = self.transfers.get(head_id)
        seller = self.sellers.get(head_id)
        key = None if memo is None or agent is not None else (
            head_id, state.sig, channel, memo, voter, rep, transfer, seller, len(self.sales))
        if key is not None and key in self._accepted:
            state.add_fields(seq, head_id, channel, votes, agent, voter)
        else:
            event = BallotEvent(seq, head_id, channel, votes, agent, voter)
            check_cast(
                state.history,
                event,
                self.settings,
                items=self.items,
                roster=self.roster,
                agent_heads=self.agents.get(agent, ()) if agent is not None else (),
                representative=rep,
                transfer=transfer,
                item_rosters=self._item_rosters or None,
                seller=seller,
            )
            if key is not None and len(self._accepted) < MAX_MEMO:
                self._accepted.add(key)
            state.add(event)
        if agent is not None:
            self.agents.setdefault(agent, set()).add(head_id)
        for item_id, vote in votes.items():
            self.votes[(head_id, item_id)] = vote
            self.counted[(head_id, item_id)] = seq


@dataclass(frozen=True)
class Replay:
    """The outcome of replaying ballot events in ``seq`` order.

    ``votes`` maps (head id, item id) to the vote that counts; ``counted``
    to the ``seq`` of the ballot it comes from; ``refused`` lists the events a
    correct server would have refused, with the reason.
    """

    votes: dict[tuple[str, str], Vote]
    counted: dict[tuple[str, str], int]
    refused: tuple[tuple[BallotEvent, CastRefused], ...]


def replay(
    events: Iterable[BallotEvent],
    settings: AssemblySettings,
    *,
    items: Mapping[str, Item] | None = None,
    roster: Roster | None = None,
    representatives: Mapping[str, str] | None = None,
) -> Replay:
    """Feed every event to a :class:`Counting` in ``seq`` order and resolve what counts.

    Two events with the same ``seq`` are an error in the log: the later one
    in the input is refused as out of order.
    """
    counting = Counting(settings, items, roster)
    for head_id, voter in (representatives or {}).items():
        counting.represent(head_id, voter)
    refused: list[tuple[BallotEvent, CastRefused]] = []
    last_seq: int | None = None
    for event in sorted(events, key=lambda event: event.seq):
        try:
            if last_seq is not None and event.seq == last_seq:
                raise CastRefused(
                    RefusalReason.OUT_OF_ORDER,
                    f"two ballots share sequence position {event.seq}",
                    seq=event.seq,
                )
            counting.cast(event.seq, event.head_id, event.channel, event.choices, event.agent,
                          event.voter)
        except CastRefused as refusal:
            refused.append((event, refusal))
        finally:
            last_seq = event.seq
    return Replay(counting.votes, counting.counted, tuple(refused))


def effective_votes(
    events: Iterable[BallotEvent],
    settings: AssemblySettings,
    *,
    items: Mapping[str, Item] | None = None,
    roster: Roster | None = None,
    representatives: Mapping[str, str] | None = None,
) -> dict[tuple[str, str], Vote]:
    """The vote that counts per (head id, item id); raises the first refusal found.

    For the verifier a ledger holding a ballot the rules refuse is itself a
    finding, hence strict; use :func:`replay` to collect every refusal instead.
    """
    result = replay(events, settings, items=items, roster=roster, representatives=representatives)
    if result.refused:
        event, refusal = result.refused[0]
        raise CastRefused(
            refusal.reason,
            f"ballot at position {event.seq} (head {event.head_id}): {refusal.message}",
            item_id=refusal.item_id,
            seq=event.seq,
        )
    return result.votes
