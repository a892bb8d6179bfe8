"""An account's heads in an assembly, its ballot keys there, and its ballots in the log.

* A **head** (one owner in the headcount) is voted for by one person: the sole
  owner, or the co-owner chosen by identity's rule (the first to verify,
  unless the committee recorded another).  :func:`heads_for` says which heads
  an account may vote for, and for the others who votes (masked name).
* The **voter reference** written in the ledger's ``key.enrolled`` entries is
  a keyed pseudonym of the owner for whom the account acts, different in every
  log (:func:`voter_reference`).  The committee must use the same function
  when it records a co-owner representative (``representative.set``).
* **Ballot keys** are per (assembly, head): a log enrols a key for one head
  only.  :func:`ballot_key` finds the account's live one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select

from identity.keyed import KeyedHasher
from identity.masking import mask_name
from identity.pii import owner_name_purpose
from identity.store.models import Building, Owner, OwnerAccount, Ownership, RosterVersion, Unit
from identity.store.representatives import AccountHead, VoterDecision, account_heads
from identity.store.rosters import latest_version
from ledger.entries import BALLOT, PAPER_BALLOT, UNIT_TRANSFERRED, parse_entry
from ledger.receipts import tracker_code
from ledger.store.headstate import head_rules
from ledger.store.models import LedgerEntry, LedgerKey, LogHead
from ledger.store.publish import assembly_settings, published
from voting.ballots import Approval, BallotEvent, Channel, Choice
from voting.casting import check_cast
from voting.errors import CastRefused, RefusalReason
from voting.store.models import Assembly
from web import services
from web.api.messages import BASIS, refusal_message
from web.database import db


def voter_reference(hasher: KeyedHasher, origin: str, owner_id_hash: str) -> str:
    """The pseudonym of an owner in one log's ``key.enrolled``/``representative.set`` entries."""
    return hasher.ledger_voter_ref(origin, owner_id_hash)


def owner_masked_name(owner_id: int | None) -> str:
    owner = db().get(Owner, owner_id) if owner_id is not None else None
    if owner is None:
        return ""
    name = services.pii().decrypt_text(owner.name_enc, purpose=owner_name_purpose(owner.id_hash))
    return mask_name(name)


def co_owner_by_voter(a: Assembly, origin: str, units: tuple[str, ...]) -> dict[str, str]:
    """voter reference -> masked name, for the owners of ``units`` in ``a``'s frozen roster."""
    if a.roster_version_id is None or not units:
        return {}
    # a label is "<building>-<number>"; either part may itself contain "-"
    buildings = {u[:i] for u in units for i, c in enumerate(u) if c == "-"}
    rows = db().execute(
        select(Owner.id, Owner.id_hash, Building.name, Unit.number)
        .join(Ownership, Ownership.owner_id == Owner.id)
        .join(Unit, Unit.id == Ownership.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .where(Ownership.roster_version_id == a.roster_version_id)
        .where(Unit.community_id == a.community_id, Building.name.in_(buildings))).all()
    wanted = set(units)
    return {voter_reference(services.hasher(), origin, id_hash): owner_masked_name(owner_id)
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

    def to_json(self) -> dict[str, Any]:
        h = self.head
        return {
            "id": h.head_id,
            "units": list(h.units),
            "area": f"{h.area:.2f}",
            "may_vote": h.may_vote,
            "voter": None if h.may_vote else {
                "basis": h.voter.basis,
                "basis_label": str(BASIS.get(h.voter.basis, "")),
                "name_masked": self.voter_name,
            },
            "voted": bool(self.ballots),
        }


def transfers_in(a: Assembly) -> dict[str, str]:
    """head id -> the buyer's voter reference, for the units sold during the vote."""
    rows = db().execute(select(LedgerEntry.index, LedgerEntry.body).where(
        LedgerEntry.assembly_id == a.id, LedgerEntry.kind == UNIT_TRANSFERRED,
        LedgerEntry.voided_by.is_(None))).all()
    payloads = (parse_entry(bytes(body), index).body["payload"] for index, body in rows)
    return {p["head"]: p["buyer"] for p in payloads}


def _owns_now(a: Assembly, owner_id: int, units: tuple[str, ...]) -> bool:
    """Does the owner hold one of ``units`` in the community's newest register (the buyer
    must be the registered owner now, not only the person the committee named)?"""
    version = latest_version(db(), a.community_id)
    if version is None:
        return False
    rows = db().execute(
        select(Building.name, Unit.number).join(Unit, Unit.building_id == Building.id)
        .join(Ownership, Ownership.unit_id == Unit.id)
        .where(Ownership.roster_version_id == version.id, Ownership.owner_id == owner_id,
               Unit.community_id == a.community_id)).all()
    return any(f"{b}-{n}" in units for b, n in rows)


def _with_transfers(a: Assembly, account: OwnerAccount, heads: list[AccountHead]
                    ) -> list[AccountHead]:
    """A sold unit's head: the buyer votes for it (even though the frozen roster names the
    seller), the seller no longer does (law.md; ledger ``unit.transferred``)."""
    transfers = transfers_in(a)
    if not transfers:
        return heads
    owner = db().get(Owner, account.owner_id)
    me = voter_reference(services.hasher(), db().get(LogHead, a.id).origin, owner.id_hash)
    out = [replace(h, may_vote=False, voter=VoterDecision(None, "transferred"))
           if transfers.get(h.head_id, me) != me else h for h in heads]
    roster = published(db(), a.id)[1]
    for head_id, buyer in transfers.items():
        rh = roster.heads[head_id]
        if buyer == me and head_id not in {h.head_id for h in out} \
                and _owns_now(a, owner.id, rh.unit_ids):
            out.append(AccountHead(head_id, tuple(rh.unit_ids), rh.area, rh.developer,
                                   account.revoked_at is None,
                                   VoterDecision(account.owner_id, "buyer")))
    return sorted(out, key=lambda h: h.units)


def heads_for(a: Assembly, account: OwnerAccount) -> list[HeadView]:
    """The account's heads in ``a``'s frozen roster (and units it bought during the vote),
    with who votes for each."""
    if a.roster_version_id is None:
        return []
    version = db().get(RosterVersion, a.roster_version_id)
    heads = _with_transfers(a, account, account_heads(db(), account, version, services.hasher(),
                                                      assembly_settings(a)))
    views = []
    for h in heads:
        view = HeadView(h)
        if not h.may_vote:
            view.voter_name = owner_masked_name(h.voter.owner_id)
        view.ballots = own_ballots(a.id, h.head_id)
        views.append(view)
    return views


def ballot_key(assembly_id: int, head_id: str, voter: str) -> LedgerKey | None:
    """The newest unrevoked device key of ``voter`` enrolled for ``head_id`` in this log."""
    return db().scalars(
        select(LedgerKey).where(LedgerKey.assembly_id == assembly_id, LedgerKey.kind == "voter",
                                LedgerKey.head_id == head_id, LedgerKey.voter == voter,
                                LedgerKey.revoked_index.is_(None))
        .order_by(LedgerKey.entry_index.desc()).limit(1)).first()


def _rows(assembly_id: int, head_id: str):
    return db().execute(
        select(LedgerEntry.index, LedgerEntry.kind, LedgerEntry.body, LedgerEntry.entry_hash,
               LedgerEntry.voided_by, LedgerEntry.created_at)
        .where(LedgerEntry.assembly_id == assembly_id, LedgerEntry.head_id == head_id,
               LedgerEntry.kind.in_((BALLOT, PAPER_BALLOT)))
        .order_by(LedgerEntry.index)).all()


def own_ballots(assembly_id: int, head_id: str) -> list[dict[str, Any]]:
    """Every ballot of the head in log order, and for each item whether it still counts."""
    out: list[dict[str, Any]] = []
    last_on: dict[str, int] = {}
    for index, kind, body, h, voided_by, created_at in _rows(assembly_id, head_id):
        payload = parse_entry(bytes(body), index).body["payload"]
        out.append({"index": index, "seq": payload["seq"], "tracker": tracker_code(bytes(h)),
                    "channel": "paper" if kind == PAPER_BALLOT else "electronic",
                    "choices": payload["choices"], "voided": voided_by is not None,
                    "cast_at": created_at, "counts_for": []})
        if voided_by is None:
            for item in payload["choices"]:
                last_on[item] = len(out) - 1
    for item, pos in last_on.items():
        out[pos]["counts_for"].append(item)
    for ballot in out:
        ballot["counts_for"].sort(key=int)
    return out


def current_choices(ballots: list[dict[str, Any]]) -> dict[str, Any]:
    """The choice that counts now per item (from the head's ballots)."""
    return {item: b["choices"][item] for b in ballots for item in b["counts_for"]}


def co_owner_voting(a: Assembly, origin: str, head_id: str) -> str:
    """Masked name of the co-owner who votes for the head in the log (recorded or first)."""
    state = head_rules(db(), a.id, head_id)
    voter = state.representative or next(
        (e.voter for e in state.history if e.channel is Channel.ELECTRONIC and e.voter), None)
    if voter is None:
        return ""
    return co_owner_by_voter(a, origin, head_units(a, head_id)).get(voter, "")


def head_units(a: Assembly, head_id: str) -> tuple[str, ...]:
    _adef, roster = published(db(), a.id)
    head = roster.heads.get(head_id)
    return tuple(head.unit_ids) if head is not None else ()


def item_locks(a: Assembly, head: LogHead, head_id: str, voter: str) -> dict[str, str]:
    """Items on which a new online ballot would be refused now, with the reason in words.

    Asks the rules engine (``check_cast``) about a one-item ballot per item,
    so the page can say *before* the owner votes what the revote policy,
    paper precedence or the co-owner rule allow.
    """
    adef, roster = published(db(), a.id)
    state = head_rules(db(), a.id, head_id)
    titles = {str(it.position): it.title for it in a.items}
    locks: dict[str, str] = {}
    who: str | None = None
    for item_id, item in adef.items.items():
        vote = Approval.of(()) if item.is_election else Choice.ABSTAIN
        event = BallotEvent(head.size, head_id, Channel.ELECTRONIC, {item_id: vote}, None, voter)
        try:
            check_cast(state.history, event, adef.settings, items=adef.items, roster=roster,
                       representative=state.representative, transfer=state.transfer)
        except CastRefused as exc:
            if exc.reason is RefusalReason.CO_OWNER_ALREADY_VOTED and who is None:
                who = co_owner_voting(a, head.origin, head_id)
            locks[item_id] = refusal_message(exc, titles, who or "")
    return locks
