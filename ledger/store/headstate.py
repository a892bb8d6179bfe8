"""What the casting rules read about one head, from the log (the writer's view).

One indexed read of the head's entries gives the next ballot number, its accepted
ballots as rules-engine events, the co-owner representative the committee
recorded and, if its unit was sold during the vote, the recorded transfer
(:class:`voting.casting.Transfer`).  After a ``unit.transferred`` entry the
rules judge the buyer's ballots among the ballots *after* it (and a
representative recorded after it); the items of the ballots before it are the
seller's and stay locked (docs/law.md: the seller's ballot cast before the transfer
stands).  The offline verifier (:mod:`ledger.replay`) reaches the same state
entry by entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ledger import payloads
from ledger.documents import convert_choices
from ledger.entries import Entry, parse_entry
from ledger.kinds import BALLOT, PAPER_BALLOT, REPRESENTATIVE_SET, UNIT_TRANSFERRED
from ledger.payloads import PROXY_ROLE
from ledger.store import castpath
from ledger.store.castpath import KeyRow
from voting.ballots import BallotEvent, Channel
from voting.casting import Transfer


def key_row(session: Session, assembly_id: int, kid: str) -> KeyRow | None:
    """The device key's row in the log (None: not enrolled), read with the lock."""
    return castpath.read_key(session, assembly_id, kid)


@dataclass(frozen=True)
class HeadRules:
    """A head as the casting rules see it now."""

    next_seq: int
    history: list[BallotEvent]  # accepted ballots (after the transfer, if any)
    representative: str | None  # recorded after the transfer, if any
    transfer: Transfer | None
    transfer_index: int | None = None  # the unit.transferred entry
    ballots: tuple[tuple[int, int], ...] = ()  # (index, time) of every accepted ballot
    cast_times: tuple[int, ...] = ()  # times of the accepted phone ballots (since a transfer)
    sold: bool = False  # the head sold units out of itself (ledger.store.sales)


def parsed(assembly_id: int, index: int, data: bytes) -> Entry:
    """Entry ``index`` of the log parsed from ``data``: an appended entry never changes, so
    a head's earlier ballots are parsed once per process, not again at each revote
    (:data:`ledger.store.castpath.PARSED_ENTRIES`; a hit counts only if the bytes read
    now are the very bytes parsed)."""
    hit = castpath.PARSED_ENTRIES.get((assembly_id, index))
    if hit is not None and hit[0] == data:
        return hit[1]
    entry = parse_entry(data, index, fast=True)
    castpath.PARSED_ENTRIES.put((assembly_id, index), (data, entry))
    return entry


def event(index: int, kind: str, head_id: str, choices: Mapping[str, Any],
          key: KeyRow | None, paper_voter: str | None = None) -> BallotEvent:
    """A ballot of ``kind`` as a rules-engine event (``key``: its device key's row;
    ``paper_voter``: the co-owner a paper ballot names).  Every channel names the co-owner
    who acts (the co-owner rule): a proxy key's ``voter`` is the owner who signed the
    written proxy."""
    votes = convert_choices(choices)
    if kind == PAPER_BALLOT:
        return BallotEvent(index, head_id, Channel.PAPER, votes, None, paper_voter)
    if key is not None and key.role == PROXY_ROLE:
        return BallotEvent(index, head_id, Channel.PROXY, votes, key.agent, key.voter)
    return BallotEvent(index, head_id, Channel.ELECTRONIC, votes, None,
                       key.voter if key is not None else None)


def head_rules(session: Session, assembly_id: int, head_id: str,
               keys: dict[str, KeyRow | None] | None = None) -> HeadRules:
    """Read the head's entries once (``keys``: device key rows already known, by key id)."""
    keys = {} if keys is None else keys
    rows = castpath.read_head_entries(session, assembly_id, head_id)
    last_seq, representative = 0, None
    accepted: list[tuple[int, str, Any]] = []
    transfer_at: tuple[int, int, str] | None = None  # (index, time, buyer)
    sold = False
    # sorted here: with ORDER BY, SQLite walks the log's whole (assembly, index) index
    for index, kind, seq, voided_by, body in sorted(rows):
        last_seq = max(last_seq, seq or 0)
        if kind in (BALLOT, PAPER_BALLOT):
            if voided_by is None:
                accepted.append((index, kind, parsed(assembly_id, index, bytes(body))))
        elif kind == REPRESENTATIVE_SET:
            chosen = parsed(assembly_id, index, bytes(body))
            representative = chosen.payload_as(payloads.RepresentativeSet).voter
        elif kind == UNIT_TRANSFERRED and voided_by is None:  # a voided one never happened
            sale = parsed(assembly_id, index, bytes(body)).payload_as(payloads.UnitTransferred)
            if sale.unit is not None:  # one unit sold out of the head: the seller votes on
                sold = True
                continue
            transfer_at, representative = (index, sale.transferred_at, sale.buyer), None
    history, locked = [], set()
    ballots = tuple((index, e.time) for index, _kind, e in accepted)
    for index, _kind, e in accepted:
        hp = e.payload_as(payloads.AnyBallot)
        if transfer_at is not None and index < transfer_at[0]:
            locked.update(hp.choices)
            continue
        key = None
        if isinstance(hp, payloads.Ballot):
            if hp.key not in keys:
                keys[hp.key] = key_row(session, assembly_id, hp.key)
            key = keys[hp.key]
        history.append(event(index, e.kind, hp.head, hp.choices, key,
                             hp.voter if isinstance(hp, payloads.PaperBallot) else None))
    since = -1 if transfer_at is None else transfer_at[0]
    cast_times = tuple(e.time for index, kind, e in accepted if kind == BALLOT and index > since)
    if transfer_at is None:
        return HeadRules(last_seq + 1, history, representative, None, ballots=ballots,
                         cast_times=cast_times, sold=sold)
    return HeadRules(last_seq + 1, history, representative,
                     Transfer(transfer_at[2], frozenset(locked)), transfer_at[0], ballots,
                     cast_times, sold)
