"""An account's heads in an assembly, who votes for each, its ballots, and what is locked.

* A **head** (one owner in the headcount) is voted for by one person: the sole
  owner, or the co-owner chosen by identity's rule (the first to verify, unless the
  committee recorded another).  :func:`heads_for` says which heads an account may
  vote for, and for the others who votes (masked name).  A unit sold during the vote
  is voted for by its buyer (ledger ``unit.transferred``), no longer by the seller.
* The **voter reference** written in the ledger's ``key.enrolled`` entries is
  :meth:`identity.keyed.KeyedHasher.ledger_voter_ref` of the owner for whom the
  account acts (:func:`voter_of`); the committee uses the same function when it
  records a co-owner representative or a buyer.
* **Ballot keys** are per (assembly, head): a log enrols a key for one head only.
  :func:`ballot_key` finds the account's live one.
* :func:`item_locks` asks the rules engine, before the owner votes, on which items a
  new online ballot would be refused now, and why (typed refusals: the pages word them).

Everything here only reads (no unit of work).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity.keyed import KeyedHasher
from identity.masking import mask_name
from identity.pii import PiiCipher, owner_name_purpose
from identity.store.models import Building, Owner, OwnerAccount, Ownership, RosterVersion, Unit
from identity.store.representatives import AccountHead, VoterDecision, account_heads
from identity.store.rosters import latest_version
from ledger.entries import parse_entry
from ledger.kinds import BALLOT, PAPER_BALLOT, UNIT_TRANSFERRED
from ledger.payloads import AnyBallot, UnitTransferred
from ledger.receipts import tracker_code
from ledger.store.headstate import head_rules
from ledger.store.models import LedgerEntry, LedgerKey, LogHead
from ledger.store.publish import assembly_settings, published
from ledger.store.sales import check_head_cast, sales_now
from voting.ballots import Approval, BallotEvent, Channel, Choice
from voting.casting import unit_voter
from voting.errors import CastRefused, RefusalReason
from voting.store.models import Assembly


def voter_of(session: Session, owner_id: int, origin: str, hasher: KeyedHasher) -> str:
    """The voter reference of the owner ``owner_id`` in the log ``origin``."""
    owner = session.get(Owner, owner_id)
    if owner is None:
        raise LookupError(f"no owner {owner_id}")
    return hasher.ledger_voter_ref(origin, owner.id_hash)


def owner_masked_name(session: Session, owner_id: int | None, cipher: PiiCipher) -> str:
    """The owner's name masked (张*明), or "" for no owner."""
    owner = session.get(Owner, owner_id) if owner_id is not None else None
    if owner is None:
        return ""
    return mask_name(cipher.decrypt_text(owner.name_enc,
                                         purpose=owner_name_purpose(owner.id_hash)))


def co_owner_by_voter(session: Session, a: Assembly, origin: str, units: tuple[str, ...], *,
                      hasher: KeyedHasher, cipher: PiiCipher) -> dict[str, str]:
    """voter reference -> masked name, for the owners of ``units`` in ``a``'s frozen roster."""
    if a.roster_version_id is None or not units:
        return {}
    # a label is "<building>-<number>"; either part may itself contain "-"
    buildings = {u[:i] for u in units for i, c in enumerate(u) if c == "-"}
    rows = session.execute(
        select(Owner.id, Owner.id_hash, Building.name, Unit.number)
        .join(Ownership, Ownership.owner_id == Owner.id)
        .join(Unit, Unit.id == Ownership.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .where(Ownership.roster_version_id == a.roster_version_id)
        .where(Unit.community_id == a.community_id, Building.name.in_(buildings))).all()
    wanted = set(units)
    return {hasher.ledger_voter_ref(origin, id_hash): owner_masked_name(session, owner_id, cipher)
            for owner_id, id_hash, building, number in rows if f"{building}-{number}" in wanted}


@dataclass
class HeadView:
    """One head of the account in this assembly, as pages and the API show it."""

    head: AccountHead
    voter_name: str = ""  # masked; who votes when this account may not
    ballots: list[dict[str, Any]] = field(default_factory=list)

    @property
    def head_id(self) -> str:
        return self.head.head_id


def transfers_in(session: Session, assembly_id: int) -> dict[str, str]:
    """head id -> the buyer's voter reference, for the one-unit heads sold during the vote
    (a unit sold out of a multi-unit head splits it instead: :func:`_with_sales`)."""
    rows = session.execute(select(LedgerEntry.index, LedgerEntry.body).where(
        LedgerEntry.assembly_id == assembly_id, LedgerEntry.kind == UNIT_TRANSFERRED,
        LedgerEntry.voided_by.is_(None))).all()
    sales = (parse_entry(bytes(body), index).payload_as(UnitTransferred) for index, body in rows)
    return {sale.head: sale.buyer for sale in sales if sale.unit is None}


def _with_sales(session: Session, a: Assembly, account: OwnerAccount, heads: list[AccountHead],
                me: str) -> list[AccountHead]:
    """Units sold out of multi-unit heads (voting.sales): a seller's head holds what it kept
    (none left: the buyers vote), a buyer's new head is the buyer's to vote for."""
    sales = sales_now(session, a.id)
    if sales is None:
        return heads
    now = sales.roster
    out = []
    for h in heads:
        held = now.heads.get(h.head_id)
        if held is None:
            out.append(replace(h, may_vote=False, voter=VoterDecision(None, "transferred")))
        else:
            out.append(replace(h, units=tuple(held.unit_ids), area=held.area))
    mine = {h.head_id for h in out}
    for head_id, transfer in sales.buyers.items():
        held = now.heads.get(head_id)
        if transfer.buyer == me and held is not None and head_id not in mine \
                and _owns_now(session, a, account.owner_id, tuple(held.unit_ids)):
            out.append(AccountHead(head_id, tuple(held.unit_ids), held.area, False,
                                   account.revoked_at is None,
                                   VoterDecision(account.owner_id, "buyer")))
    return out


def _owns_now(session: Session, a: Assembly, owner_id: int, units: tuple[str, ...]) -> bool:
    """Does the owner hold one of ``units`` in the community's newest register (the buyer
    must be the registered owner now, not only the person the committee named)?"""
    version = latest_version(session, a.community_id)
    if version is None:
        return False
    rows = session.execute(
        select(Building.name, Unit.number).join(Unit, Unit.building_id == Building.id)
        .join(Ownership, Ownership.unit_id == Unit.id)
        .where(Ownership.roster_version_id == version.id, Ownership.owner_id == owner_id,
               Unit.community_id == a.community_id)).all()
    return any(f"{b}-{n}" in units for b, n in rows)


def _with_transfers(session: Session, a: Assembly, account: OwnerAccount,
                    heads: list[AccountHead], hasher: KeyedHasher) -> list[AccountHead]:
    """A sold unit's head: the buyer votes for it (even though the frozen roster names the
    seller), the seller no longer does (docs/law.md; ledger ``unit.transferred``)."""
    me = voter_of(session, account.owner_id, session.get_one(LogHead, a.id).origin, hasher)
    heads = _with_sales(session, a, account, heads, me)
    transfers = transfers_in(session, a.id)
    if not transfers:
        return sorted(heads, key=lambda h: h.units)
    out = [replace(h, may_vote=False, voter=VoterDecision(None, "transferred"))
           if transfers.get(h.head_id, me) != me else h for h in heads]
    roster = published(session, a.id)[1]
    for head_id, buyer in transfers.items():
        rh = roster.heads[head_id]
        if buyer == me and head_id not in {h.head_id for h in out} \
                and _owns_now(session, a, account.owner_id, rh.unit_ids):
            out.append(AccountHead(head_id, tuple(rh.unit_ids), rh.area, rh.developer,
                                   account.revoked_at is None,
                                   VoterDecision(account.owner_id, "buyer")))
    return sorted(out, key=lambda h: h.units)


def heads_for(session: Session, assembly_id: int, account_id: int, *, hasher: KeyedHasher,
              cipher: PiiCipher) -> list[HeadView]:
    """The account's heads in the assembly's frozen roster (and units it bought during the
    vote), with who votes for each and each head's ballots."""
    a = session.get(Assembly, assembly_id)
    account = session.get(OwnerAccount, account_id)
    if a is None or account is None or a.roster_version_id is None:
        return []
    version = session.get_one(RosterVersion, a.roster_version_id)
    heads = _with_transfers(session, a, account, account_heads(
        session, account, version, hasher, assembly_settings(a)), hasher)
    views = []
    for h in heads:
        view = HeadView(h)
        if not h.may_vote:
            view.voter_name = owner_masked_name(session, h.voter.owner_id, cipher)
        view.ballots = own_ballots(session, a.id, h.head_id)
        views.append(view)
    return views


def may_vote_for(session: Session, assembly_id: int, account_id: int, head_id: str, *,
                 hasher: KeyedHasher, cipher: PiiCipher) -> bool:
    """Does the account vote for ``head_id`` in this assembly?"""
    return any(v.head_id == head_id and v.head.may_vote
               for v in heads_for(session, assembly_id, account_id, hasher=hasher,
                                  cipher=cipher))


def ballot_key(session: Session, assembly_id: int, head_id: str, voter: str) -> LedgerKey | None:
    """The newest unrevoked device key of ``voter`` enrolled for ``head_id`` in this log."""
    return session.scalars(
        select(LedgerKey).where(LedgerKey.assembly_id == assembly_id, LedgerKey.kind == "voter",
                                LedgerKey.head_id == head_id, LedgerKey.voter == voter,
                                LedgerKey.revoked_index.is_(None))
        .order_by(LedgerKey.entry_index.desc()).limit(1)).first()


def live_ballot_keys(session: Session, assembly_id: int, voter: str,
                     head_id: str | None = None) -> list[str]:
    """Ids of the voter's unrevoked device keys in this log (for one head, if given)."""
    query = select(LedgerKey.key_id).where(
        LedgerKey.assembly_id == assembly_id, LedgerKey.voter == voter,
        LedgerKey.kind == "voter", LedgerKey.revoked_index.is_(None))
    if head_id is not None:
        query = query.where(LedgerKey.head_id == head_id)
    return list(session.scalars(query))


def _rows(session: Session, assembly_id: int, head_id: str):
    return session.execute(
        select(LedgerEntry.index, LedgerEntry.kind, LedgerEntry.body, LedgerEntry.entry_hash,
               LedgerEntry.voided_by, LedgerEntry.created_at)
        .where(LedgerEntry.assembly_id == assembly_id, LedgerEntry.head_id == head_id,
               LedgerEntry.kind.in_((BALLOT, PAPER_BALLOT)))
        .order_by(LedgerEntry.index)).all()


def own_ballots(session: Session, assembly_id: int, head_id: str) -> list[dict[str, Any]]:
    """Every ballot of the head in log order, and for each item whether it still counts."""
    out: list[dict[str, Any]] = []
    last_on: dict[str, int] = {}
    for index, kind, body, h, voided_by, created_at in _rows(session, assembly_id, head_id):
        ballot = parse_entry(bytes(body), index).payload_as(AnyBallot)
        out.append({"index": index, "seq": ballot.seq, "tracker": tracker_code(bytes(h)),
                    "channel": "paper" if kind == PAPER_BALLOT else "electronic",
                    "choices": ballot.choices_json(), "voided": voided_by is not None,
                    "cast_at": created_at, "counts_for": []})
        if voided_by is None:
            for item in ballot.choices:
                last_on[item] = len(out) - 1
    for item, pos in last_on.items():
        out[pos]["counts_for"].append(item)
    for row in out:
        row["counts_for"].sort(key=int)
    return out


def current_choices(ballots: list[dict[str, Any]]) -> dict[str, Any]:
    """The choice that counts now per item (from the head's ballots)."""
    return {item: b["choices"][item] for b in ballots for item in b["counts_for"]}


def head_units(session: Session, assembly_id: int, head_id: str) -> tuple[str, ...]:
    _adef, roster = published(session, assembly_id)
    head = roster.heads.get(head_id)
    return tuple(head.unit_ids) if head is not None else ()


def co_owner_voting(session: Session, assembly_id: int, head_id: str, *, hasher: KeyedHasher,
                    cipher: PiiCipher) -> str:
    """Masked name of the co-owner who votes for the head in the log (recorded or first)."""
    a = session.get(Assembly, assembly_id)
    head = session.get(LogHead, assembly_id)
    if a is None or head is None:
        return ""
    state = head_rules(session, assembly_id, head_id)
    voter = unit_voter(state.history, state.representative)
    if voter is None:
        return ""
    return co_owner_by_voter(session, a, head.origin, head_units(session, assembly_id, head_id),
                             hasher=hasher, cipher=cipher).get(voter, "")


@dataclass(frozen=True)
class ItemLocks:
    """Items on which a new online ballot of the head would be refused now, and why."""

    refusals: dict[str, CastRefused]  # item id -> the rules engine's refusal
    co_owner: str = ""  # masked name of the co-owner who votes (co_owner_already_voted)


def item_locks(session: Session, assembly_id: int, head_id: str, voter: str, *,
               hasher: KeyedHasher, cipher: PiiCipher) -> ItemLocks:
    """Asks the rules engine (``check_cast``) about a one-item ballot per item, so the page
    can say *before* the owner votes what the revote policy, paper precedence or the
    co-owner rule allow."""
    head = session.get(LogHead, assembly_id)
    if head is None:
        return ItemLocks({})
    adef, roster = published(session, assembly_id)
    state = head_rules(session, assembly_id, head_id)
    refusals: dict[str, CastRefused] = {}
    for item_id, item in adef.items.items():
        vote = Approval.of(()) if item.is_election else Choice.ABSTAIN
        event = BallotEvent(head.size, head_id, Channel.ELECTRONIC, {item_id: vote}, None, voter)
        try:
            check_head_cast(session, assembly_id, state, event, adef, roster)
        except CastRefused as exc:
            refusals[item_id] = exc
    who = ""
    if any(r.reason is RefusalReason.CO_OWNER_ALREADY_VOTED for r in refusals.values()):
        who = co_owner_voting(session, assembly_id, head_id, hasher=hasher, cipher=cipher)
    return ItemLocks(refusals, who)
