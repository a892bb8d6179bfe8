"""Units sold during the vote (law.md): recorded by a committee member from the registry.

The member enters the unit, the registration time of the transfer (登簿时间) and the
buyer's ID; the buyer is written in the ledger only as the pseudonymous voter
reference they will have when they verify and vote (``web.api.heads``), and the
scanned registry record stays in the committee's vault (its SHA-256 goes in the
ledger).  The entry is signed with the member's browser key like proxies.  The
seller's ballots from at or after the transfer are void by law: the ledger refuses
the transfer until they are voided (``ballots`` page), so this page lists them.
"""

from __future__ import annotations

from flask import abort, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from identity import idnumbers
from identity.errors import IdNumberError
from identity.vocab import ID_TYPE_ZH
from ledger import timestamps
from ledger.ballots import new_nonce
from ledger.entries import UNIT_TRANSFERRED, parse_entry
from ledger.store import logstore, writer
from ledger.store.headstate import head_rules
from ledger.store.models import LedgerEntry
from ledger.timestamps import ms_to_datetime
from ownervote.audit import record
from voting.lifecycle import Status
from web import services
from web.access import roles_required
from web.api.heads import voter_reference
from web.committee import bp, clock, vault
from web.committee.common import MANAGERS, local, managed_assembly, member_actor, parse_local
from web.committee.figures import snapshot
from web.committee.paper import resolve_unit
from web.committee.signing import append_signed, fail, signed_request, to_sign
from web.database import db

_WHEN = (Status.NOTICED.value, Status.OPEN.value)


def buyer_ref(origin: str, id_type: str, number: str) -> str:
    """The buyer's voter reference in this log: the one their own verified account gets."""
    code, normalised = idnumbers.validate(id_type, number)
    id_hash = services.hasher().id_hash(code, normalised, normalised=True)
    return voter_reference(services.hasher(), origin, id_hash)


def _recorded(a) -> list[dict]:
    s = snapshot(a)
    rows = []
    for entry in db().scalars(select(LedgerEntry).where(
            LedgerEntry.assembly_id == a.id, LedgerEntry.kind == UNIT_TRANSFERRED)
            .order_by(LedgerEntry.index)):
        p = parse_entry(bytes(entry.body), entry.index).body["payload"]
        head = s.roster.heads.get(p["head"])
        rows.append({"units": list(head.unit_ids) if head else [p["head"]],
                     "at": local(ms_to_datetime(p["transferred_at"])), "entry": entry.index,
                     "voided": entry.voided_by,
                     "buyer": p["buyer"][:12], "evidence": p["evidence_sha256"]})
    return rows


@bp.get("/a/<int:assembly_id>/transfers")
@roles_required(*MANAGERS)
def transfers(assembly_id: int):
    a = managed_assembly(assembly_id)
    if a.status == Status.DRAFT.value:
        abort(404)
    s = snapshot(a)
    buildings = sorted({u.building or "" for u in s.roster.units.values()},
                       key=lambda b: (len(b), b))
    return render_template("committee/transfers.html", a=a, rows=_recorded(a),
                           buildings=buildings, id_types=list(ID_TYPE_ZH.items()),
                           can_record=a.status in _WHEN)


@bp.post("/a/<int:assembly_id>/transfers/prepare")
@roles_required(*MANAGERS)
def transfer_prepare(assembly_id: int):
    a = managed_assembly(assembly_id)
    if a.status not in _WHEN:
        return fail(_("Transfers are recorded between the notice and the close."))
    s = snapshot(a)
    head, why = resolve_unit(a, s, request.form.get("building", ""),
                             request.form.get("unit", ""))
    if head is None:
        return fail(why)
    units = s.roster.heads[head].unit_ids
    if len(units) > 1:
        # the frozen roster counts these units as one owner (several units of the same
        # owners, or the developer's); the sale of one would split that head, which a frozen
        # roster cannot do
        return fail(_("This unit is one of several that count as one owner in the frozen "
                      "roster (%(units)s). The sale of one of them cannot be recorded here; "
                      "the seller keeps the vote for them in this assembly.",
                      units="、".join(units)))
    at = parse_local(request.form.get("transferred_at", ""))
    if at is None:
        return fail(_("Enter the registration time of the transfer from the registry record."))
    if at > clock.now():
        return fail(_("The registration time of the transfer cannot be in the future."))
    origin = logstore.get_head(db(), a.id).origin
    try:
        buyer = buyer_ref(origin, request.form.get("buyer_id_type", ""),
                          request.form.get("buyer_id_number", ""))
    except IdNumberError:
        return fail(_("The buyer's ID number is not valid for the ID type chosen."))
    state = head_rules(db(), a.id, head)
    at_ms = timestamps.now_ms(at)
    if state.transfer is not None:
        return fail(_("A transfer of this unit is already recorded (ledger entry %(n)s).",
                      n=state.transfer_index))
    late = [str(index) for index, t in state.ballots if t >= at_ms]
    if late:
        return fail(_("Ballots of this unit were cast at or after the transfer and are void by "
                      "law: void ledger entries %(entries)s on the ballots page first.",
                      entries=", ".join(late)))
    upload = request.files.get("evidence")
    content = upload.read(vault.MAX_BYTES + 1) if upload else b""
    try:
        sha, _mime = vault.put(a.id, "transfer", content)
    except vault.VaultError:
        return fail(_("Attach the scan or photo of the registry record of the transfer (PDF, "
                      "JPEG or PNG, at most 10 MB)."))
    payload = {"origin": origin, "head": head, "buyer": buyer, "transferred_at": at_ms,
               "official": request.form.get("official", ""), "nonce": new_nonce(),
               "evidence_sha256": sha}
    voted = sorted({i for e in state.history for i in e.choices}, key=int)
    summary = [_("Units %(units)s were transferred on %(time)s; from then on the buyer votes.",
                 units="、".join(units), time=local(at)),
               _("The seller's ballots before the transfer stand on items: %(items)s.",
                 items="、".join(voted) or "—"),
               _("Registry record SHA-256 %(sha)s…", sha=sha[:16])]
    return jsonify(to_sign(UNIT_TRANSFERRED, payload, summary))


@bp.post("/a/<int:assembly_id>/transfers/submit")
@roles_required(*MANAGERS)
def transfer_submit(assembly_id: int):
    a = managed_assembly(assembly_id)
    payload, sig = signed_request(a.id)
    if payload is None:
        return sig

    def write(session):
        out = writer.record_transfer(session, a.id, payload, sig, now=clock.now())
        record(session, member_actor(), "unit.transfer", f"assembly:{a.id}", entry=out.index,
               head=payload.get("head"))
        return out

    return append_signed(a, write, back="committee.transfers",
                         done=lambda n: _("Transfer recorded as ledger entry %(n)s.", n=n))
