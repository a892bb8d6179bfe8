"""Casting rules as pure functions, shared by the web server and the offline verifier.

The server calls :func:`check_cast` before appending a ballot to the ledger;
the verifier and ``ownervote tally`` replay a vote's ballots through it
(:class:`voting.counting.Counting`) and must reach the same decisions.  It reads
only its arguments, so they cannot drift apart.

Rules, in the order they are checked (each refusal is a
:class:`~voting.errors.CastRefused` with a :class:`~voting.errors.RefusalReason`):

1. a ballot votes on at least one item; sequence positions only grow;
2. the head exists; every item exists, the head holds area in the item's
   scope, and the vote fits the item (choice kind, known candidates, at most
   ``seats`` approvals);
3. proxies: a proxy ballot names its agent; ``proxy_cap`` 0 forbids proxies;
   an agent may represent at most ``proxy_cap`` distinct heads;
4. co-owners (:func:`unit_voter`): only the unit's representative votes for it, on
   every channel — the co-owner the committee recorded, else the one named by the
   head's first accepted ballot (the server lets only the first verified co-owner
   enrol a ballot key).  A ballot naming another co-owner is refused, whether it is
   electronic, paper (the co-owner who signed it) or proxy (the co-owner who signed
   the written proxy);
5. a unit sold during the vote (docs/law.md: the seller's ballot stands if cast before the
   transfer, otherwise the buyer votes), once the transfer is recorded
   (:class:`Transfer`): only the buyer casts online (the seller, the seller's co-owners
   and agents are refused), and not on an item the seller voted on before the transfer;
   a head that sold a unit out of itself (:class:`SellerSale`, :mod:`voting.sales`) may
   not change its ballot on an item it voted on before the sale;
6. per item already voted on by this head:

   * *precedence* between paper and electronic (proxy ballots are
     electronic): ``first_cast`` refuses the other form; ``paper`` lets a
     paper ballot replace electronic ones and refuses electronic after
     paper; ``electronic`` the reverse;
   * *revote* within the same form: ``none`` refuses any second ballot,
     ``once`` allows one change, ``until_close`` any number.

   A ballot is accepted or refused as a whole, naming the first offending item.

What :func:`check_cast` reads from ``history`` (a caller keeping long
histories may prune them to this): the highest earlier ``seq``; the first
ballot carrying a ``voter``; and, per item and form (paper /
electronic), whether there were 0, 1 or at least 2 earlier ballots.

Which vote counts for a head on an item: always the last *accepted* ballot on
that item.  The rules above make sure that a ballot which may not replace an
earlier one is refused with a message, never accepted and silently ignored.
Every ballot stays in the ledger; superseded ones simply do not count.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from voting.ballots import BallotEvent, Channel, Choice, vote_problem
from voting.errors import CastRefused, RefusalReason
from voting.heads import Roster
from voting.items import Item
from voting.settings import AssemblySettings, Precedence, RevotePolicy


@dataclass(frozen=True)
class Transfer:
    """A head's unit(s) sold during the vote, as recorded: who votes from now on.

    ``buyer`` is the buyer's pseudonymous voter reference; ``locked`` the items on
    which the seller's ballots from before the transfer stand: the items of the head's
    accepted, non-voided ballots that precede the transfer entry in the log (ballots
    from at or after the transfer time must have been voided before it was recorded).
    With a transfer, ``history`` and ``representative`` handed to :func:`check_cast` are
    those from after it: the buyer's revotes and paper precedence are judged among the
    buyer's own ballots.
    """

    buyer: str
    locked: frozenset[str]


@dataclass(frozen=True)
class SellerSale:
    """A head that sold units out of itself during the vote (:mod:`voting.sales`).

    ``locked``: the items it voted on before a sale — its ballot stands on them for the
    units it held then, so it may not change it; ``sold_out``: it sold its last unit.
    """

    locked: frozenset[str]
    sold_out: bool = False


def _check_seller(new: BallotEvent, seller: SellerSale) -> None:
    for item_id in new.choices:
        if item_id in seller.locked:
            raise CastRefused(
                RefusalReason.SOLD_UNIT_VOTE_STANDS,
                f'this owner voted on item "{item_id}" before selling a unit; that ballot '
                "stands for the units held then and can no longer be changed",
                item_id=item_id,
                seq=new.seq,
            )


def _check_transfer(new: BallotEvent, transfer: Transfer) -> None:
    online = new.channel is not Channel.PAPER  # paper: the committee enters the buyer's
    if online and (new.channel is Channel.PROXY or new.voter != transfer.buyer):
        raise CastRefused(
            RefusalReason.UNIT_TRANSFERRED,
            "this unit was sold during the vote; from the transfer on, its buyer votes",
            seq=new.seq,
        )
    for item_id in new.choices:
        if item_id in transfer.locked:
            raise CastRefused(
                RefusalReason.SELLER_VOTED_BEFORE_TRANSFER,
                f'the seller voted on item "{item_id}" before the unit was transferred; '
                "that ballot stands",
                item_id=item_id,
                seq=new.seq,
            )


def _form(event: BallotEvent) -> str:
    return "paper" if event.channel is Channel.PAPER else "electronic"


def check_cast(
    history: Sequence[BallotEvent],
    new: BallotEvent,
    settings: AssemblySettings,
    *,
    items: Mapping[str, Item] | None = None,
    roster: Roster | None = None,
    agent_heads: Collection[str] = (),
    representative: str | None = None,
    transfer: Transfer | None = None,
    item_rosters: Mapping[str, Roster] | None = None,
    seller: SellerSale | None = None,
) -> None:
    """Accept (return ``None``) or refuse ``new`` given the head's earlier accepted ballots.

    ``history`` holds the accepted ballots of ``new.head_id`` (ballots of other
    heads in it are ignored).  ``items`` and ``roster``, when given, enable the
    item, scope and choice checks — the server and the verifier must pass
    them.  ``agent_heads`` are the heads ``new.agent`` already represents
    through accepted ballots; ``representative`` the co-owner the committee
    recorded for this head, if any; ``transfer`` the head's recorded transfer, if
    any (then ``history`` and ``representative`` are those from after it);
    ``item_rosters`` the roster each item is counted on once units were sold out of
    multi-unit heads (:func:`voting.sales.item_rosters`; ``roster`` is then the roster
    after every sale), for the scope check; ``seller`` the head's own sales of units, if
    any.
    """
    mine = [event for event in history if event.head_id == new.head_id]
    _check(mine, new, settings, items, roster, agent_heads, representative, transfer,
           item_rosters, seller)


def _check(
    mine: Sequence[BallotEvent],
    new: BallotEvent,
    settings: AssemblySettings,
    items: Mapping[str, Item] | None,
    roster: Roster | None,
    agent_heads: Collection[str],
    representative: str | None,
    transfer: Transfer | None = None,
    item_rosters: Mapping[str, Roster] | None = None,
    seller: SellerSale | None = None,
) -> None:
    seq = new.seq
    if not new.choices:
        raise CastRefused(RefusalReason.EMPTY_BALLOT, "the ballot votes on no item", seq=seq)
    for event in mine:
        if event.seq >= seq:
            raise CastRefused(
                RefusalReason.OUT_OF_ORDER,
                f"ballot at position {seq} comes after position {event.seq} of the same head",
                seq=seq,
            )
    if seller is not None and seller.sold_out:
        raise CastRefused(
            RefusalReason.UNIT_TRANSFERRED,
            "this owner sold every unit during the vote; the buyers vote for them",
            seq=seq,
        )
    if roster is not None and new.head_id not in roster.heads:
        raise CastRefused(
            RefusalReason.UNKNOWN_HEAD, f'no owner "{new.head_id}" in this assembly', seq=seq
        )
    if items is not None:
        _check_items(new, items, roster, item_rosters or {})
    if transfer is not None:
        _check_transfer(new, transfer)
    if seller is not None:
        _check_seller(new, seller)
    if new.agent is not None or new.channel is Channel.PROXY:
        _check_proxy(new, settings, agent_heads)
    if mine or representative is not None:
        _check_co_owner(mine, new, representative)
        for item_id in new.choices:
            _check_item_history(mine, new, item_id, settings)


def _check_items(new: BallotEvent, items: Mapping[str, Item], roster: Roster | None,
                 item_rosters: Mapping[str, Roster]) -> None:
    for item_id, vote in new.choices.items():
        item = items.get(item_id)
        if item is None:
            raise CastRefused(
                RefusalReason.UNKNOWN_ITEM,
                f'no item "{item_id}" in this assembly',
                item_id=item_id,
                seq=new.seq,
            )
        if (
            roster is not None
            and item.buildings is not None
            and new.head_id
            not in item_rosters.get(item_id, roster).scope(item.buildings).area_of
        ):
            raise CastRefused(
                RefusalReason.ITEM_OUT_OF_SCOPE,
                f'item "{item_id}" is decided by the owners of buildings '
                f"{', '.join(sorted(item.buildings or ()))}; this owner holds no unit there",
                item_id=item_id,
                seq=new.seq,
            )
        problem = vote_problem(item, vote)
        if problem is not None:
            raise CastRefused(problem[0], problem[1], item_id=item_id, seq=new.seq)
        if vote is Choice.INVALID and new.channel is not Channel.PAPER:
            raise CastRefused(
                RefusalReason.INVALID_CHOICE,
                f'item "{item_id}": only a paper ballot can be recorded as invalid',
                item_id=item_id,
                seq=new.seq,
            )


def _check_proxy(
    new: BallotEvent, settings: AssemblySettings, agent_heads: Collection[str]
) -> None:
    if new.agent is None:
        if new.channel is Channel.PROXY:
            raise CastRefused(
                RefusalReason.PROXY_WITHOUT_AGENT, "a proxy ballot must name its agent", seq=new.seq
            )
        return
    refused = agent_cap_refusal(new.head_id, agent_heads, settings.proxy_cap)
    if refused is RefusalReason.PROXY_NOT_ALLOWED:
        raise CastRefused(refused, "this assembly does not accept proxies", seq=new.seq)
    if refused is not None:
        raise CastRefused(
            refused,
            f"this agent already represents {len(agent_heads)} owner(s); "
            f"the assembly allows at most {settings.proxy_cap} per agent",
            seq=new.seq,
        )


def unit_voter(history: Sequence[BallotEvent], representative: str | None) -> str | None:
    """Who votes for a head (co-owners choose one of them, docs/law.md), ``None``: not yet known.

    The co-owner the committee recorded (``representative``), else the voter named by the
    head's first accepted ballot that names one, whatever its channel.
    """
    if representative is not None:
        return representative
    for event in history:
        if event.voter is not None:
            return event.voter
    return None


def _check_co_owner(
    mine: Sequence[BallotEvent], new: BallotEvent, representative: str | None
) -> None:
    if new.voter is None:  # a ballot naming nobody (a sole owner's paper ballot …)
        return
    voter = unit_voter(mine, representative)
    if voter is not None and new.voter != voter:
        raise CastRefused(
            RefusalReason.CO_OWNER_ALREADY_VOTED,
            f"co-owner {voter} votes for this unit, on every channel (online, paper, "
            "proxy); only the committee can record a different representative",
            seq=new.seq,
            voter=voter,
        )


def _check_item_history(
    mine: Sequence[BallotEvent], new: BallotEvent, item_id: str, settings: AssemblySettings
) -> None:
    form = _form(new)
    same = 0
    other = 0
    for event in mine:
        if item_id in event.choices:
            if _form(event) == form:
                same += 1
            else:
                other += 1
    if other:
        precedence = settings.precedence
        if precedence is Precedence.FIRST_CAST or precedence.value != form:
            reason = (
                RefusalReason.ELECTRONIC_ALREADY_COUNTED
                if form == "paper"
                else RefusalReason.PAPER_ALREADY_COUNTED
            )
            earlier = "an electronic" if form == "paper" else "a paper"
            rule = (
                "the first ballot stands"
                if precedence is Precedence.FIRST_CAST
                else f"{precedence.value} ballots take precedence"
            )
            raise CastRefused(
                reason,
                f'{earlier} ballot already counts for item "{item_id}"; in this assembly {rule}',
                item_id=item_id,
                seq=new.seq,
            )
    if same:
        if settings.revote is RevotePolicy.NONE:
            raise CastRefused(
                RefusalReason.REVOTE_NOT_ALLOWED,
                f'a ballot on item "{item_id}" was already cast; this assembly allows one '
                "ballot per owner",
                item_id=item_id,
                seq=new.seq,
            )
        if settings.revote is RevotePolicy.ONCE and same >= 2:
            raise CastRefused(
                RefusalReason.REVOTE_ALREADY_USED,
                f'the vote on item "{item_id}" was already changed once; this assembly allows '
                "one change",
                item_id=item_id,
                seq=new.seq,
            )


def agent_cap_refusal(
    head_id: str, agent_heads: Collection[str], cap: int | None
) -> RefusalReason | None:
    """The assembly's proxy cap for one agent acting for ``head_id`` (None: allowed).

    ``agent_heads`` are the heads the agent already acts for; ``cap`` is the assembly's
    ``proxy_cap`` (``None``: no cap; 0: no proxies at all).  Acting again for a head
    already counted never exceeds the cap.  :func:`proxy_registration_refusal` applies it
    when a written proxy is registered (rule 3 of :func:`check_cast` is the same cap on
    the ballots).
    """
    if cap == 0:
        return RefusalReason.PROXY_NOT_ALLOWED
    if cap is not None and head_id not in agent_heads and len(agent_heads) >= cap:
        return RefusalReason.PROXY_CAP_EXCEEDED
    return None


def proxy_registration_refusal(
    head_id: str, registered: Collection[str], settings: AssemblySettings
) -> RefusalReason | None:
    """Why a written proxy for ``head_id`` may not be registered (None: it may).

    ``registered`` are the heads the same agent is already registered for in this
    assembly.  ``PROXY_NOT_ALLOWED`` when the assembly's proxy cap is 0;
    ``PROXY_CAP_EXCEEDED`` when the agent is already registered for ``proxy_cap`` other
    owners (the assembly's setting).
    """
    return agent_cap_refusal(head_id, registered, settings.proxy_cap)
