"""Units sold out of multi-unit heads, read from the log (the server's view of voting.sales).

The log's ``unit.transferred`` entries that name a ``unit`` (and are not voided) are
folded in log order with :func:`voting.sales.record_sale` — the same function the
offline verifier's :class:`voting.counting.Counting` folds them with — each with the
items the seller's head had accepted ballots on before it.  The result is the roster
after the sales, the roster each item is counted on, who votes for a buyer's new head
and what a seller may no longer change.

Reading the sales costs a read of the assembly's transfers, so the casting path asks
for them only when they can matter (:func:`ledger.store.writer.check_rules`).
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger import payloads
from ledger.documents import AssemblyDef
from ledger.entries import parse_entry
from ledger.kinds import BALLOT, PAPER_BALLOT, UNIT_TRANSFERRED
from ledger.store import castpath
from ledger.store.headstate import HeadRules
from ledger.store.models import LedgerEntry
from ledger.store.publish import published
from voting.ballots import BallotEvent
from voting.casting import check_cast
from voting.errors import CastRefused, RefusalReason
from voting.heads import Roster
from voting.sales import SalesState, record_sale


def split_transfers(session: Session, assembly_id: int
                    ) -> list[tuple[int, payloads.UnitTransferred]]:
    """(entry index, payload) of the log's standing transfers that split a head, in order."""
    rows = session.execute(
        select(LedgerEntry.index, LedgerEntry.body)
        .where(LedgerEntry.assembly_id == assembly_id, LedgerEntry.kind == UNIT_TRANSFERRED,
               LedgerEntry.voided_by.is_(None))
        .order_by(LedgerEntry.index)).all()
    out = []
    for index, body in rows:
        sale = parse_entry(bytes(body), index).payload_as(payloads.UnitTransferred)
        if sale.unit is not None:
            out.append((index, sale))
    return out


def _items_before(session: Session, assembly_id: int, head_id: str, before: int
                  ) -> set[str]:
    """The items of ``head_id``'s accepted ballots before entry ``before``."""
    items: set[str] = set()
    for index, kind, _seq, voided_by, body in castpath.read_head_entries(
            session, assembly_id, head_id):
        if kind in (BALLOT, PAPER_BALLOT) and voided_by is None and index < before:
            entry = parse_entry(bytes(body), index)
            items.update(entry.payload_as(payloads.AnyBallot).choices)
    return items


def sales_now(session: Session, assembly_id: int,
              upto: int | None = None) -> SalesState | None:
    """The sales recorded in the log (before entry ``upto``, if given); None: there are
    none, the frozen roster is the roster."""
    splits = [(i, p) for i, p in split_transfers(session, assembly_id)
              if upto is None or i < upto]
    if not splits:
        return None
    state = SalesState.start(published(session, assembly_id)[1])
    for index, sale in splits:
        state = record_sale(state, sale.head, sale.unit or "", sale.buyer, sale.buyer_head,
                            _items_before(session, assembly_id, sale.head, index))
    return state


def check_head_cast(session: Session, assembly_id: int, state: HeadRules, new: BallotEvent,
                    adef: AssemblyDef, roster: Roster,
                    agent_heads: Collection[str] = ()) -> None:
    """:func:`voting.casting.check_cast` of ``new`` for its head (``state``), with the sales.

    The sales are read only when they can matter: for a head the frozen ``roster`` does
    not know (a buyer's new head), for a head that sold units (``state.sold``), and
    before refusing a ballot as out of the item's scope (a buyer who joined a unit to
    their head may hold area in the item's buildings now).
    """
    sales = None
    if new.head_id not in roster.heads or state.sold:
        sales = sales_now(session, assembly_id)
    try:
        _check(state, new, adef, roster, agent_heads, sales)
    except CastRefused as exc:
        if sales is not None or exc.reason is not RefusalReason.ITEM_OUT_OF_SCOPE:
            raise
        sales = sales_now(session, assembly_id)
        if sales is None:
            raise
        _check(state, new, adef, roster, agent_heads, sales)


def _check(state: HeadRules, new: BallotEvent, adef: AssemblyDef, roster: Roster,
           agent_heads: Collection[str], sales: SalesState | None) -> None:
    head_id = new.head_id
    check_cast(
        state.history,
        new,
        adef.settings,
        items=adef.items,
        roster=roster if sales is None else sales.roster,
        agent_heads=agent_heads,
        representative=state.representative,
        transfer=state.transfer or (sales.buyers.get(head_id) if sales else None),
        item_rosters=sales.item_rosters(adef.items) if sales else None,
        seller=sales.sellers.get(head_id) if sales else None,
    )
