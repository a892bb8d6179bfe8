"""Units sold during the vote (docs/law.md): recorded by a committee member from the registry.

The member enters the unit, the registration time of the transfer (登簿时间) and the
buyer's ID; the buyer is written in the ledger only as the pseudonymous voter
reference they will have when they verify and vote, and the scanned registry record
stays in the committee's vault (its SHA-256 goes in the ledger).  The entry is signed
with the member's browser key like proxies.  Which transfers may be recorded is the
ledger's rule (:func:`ledger.store.committee.check_transfer`: not in the future, once,
after the seller's later ballots are voided — they are void by law, so the ``ballots``
page voids them first); it is asked before the member signs and applied again when the
signed entry comes back.  A unit the frozen roster counts with others as one owner (the
developer's, one buyer's several) is named in the entry (``unit``): the sale splits that
owner (docs/rules.md §7.7).
"""

from __future__ import annotations

from flask import abort, jsonify, render_template, request
from flask_babel import gettext as _

from identity.errors import IdNumberError
from identity.vocab import ID_TYPE_ZH
from ledger.errors import LedgerError
from ledger.kinds import UNIT_TRANSFERRED
from ownervote.services import committee_keys
from ownervote.services import transfers as transfer_service
from ownervote.services.committee_keys import EntryRefused
from voting.lifecycle import Status
from web import instance
from web.access import roles_required
from web.committee import bp, clock, vault
from web.committee.console import MANAGERS, local, managed_assembly, parse_local
from web.committee.paper import typed_unit
from web.committee.refusals import ledger_refusal
from web.committee.signing import (
    answer_signed,
    fail,
    refused,
    signed_by,
    signed_request,
    to_sign,
)
from web.database import db

_WHEN = (Status.NOTICED.value, Status.OPEN.value)


def buyer_ref(origin: str, id_type: str, number: str) -> str:
    """The buyer's voter reference in this log: the one their own verified account gets."""
    return transfer_service.buyer_ref(instance.hasher(), origin, id_type, number)


@bp.get("/a/<int:assembly_id>/transfers")
@roles_required(*MANAGERS)
def transfers(assembly_id: int):
    a = managed_assembly(assembly_id)
    if a.status == Status.DRAFT.value:
        abort(404)
    rows = [{"units": list(t.units), "at": local(t.at), "entry": t.entry, "voided": t.voided,
             "buyer": t.buyer, "evidence": t.evidence}
            for t in transfer_service.recorded(db(), a.id)]
    return render_template("committee/transfers.html", a=a, rows=rows,
                           buildings=committee_keys.roster_buildings(db(), a.id),
                           id_types=list(ID_TYPE_ZH.items()), can_record=a.status in _WHEN)


@bp.post("/a/<int:assembly_id>/transfers/prepare")
@roles_required(*MANAGERS)
def transfer_prepare(assembly_id: int):
    a = managed_assembly(assembly_id)
    try:
        head = typed_unit(a, frozen=True)
    except EntryRefused as exc:
        return refused(exc, "transfer")
    except LedgerError as exc:  # no log yet
        return fail(ledger_refusal(exc, "transfer"))
    at = parse_local(request.form.get("transferred_at", ""))
    if at is None:
        return fail(_("Enter the registration time of the transfer from the registry record."))
    label = head_unit(head)
    try:
        draft = transfer_service.prepare(
            db(), a.id, head_id=head.head_id, transferred_at=at, unit=label,
            buyer_id_type=request.form.get("buyer_id_type", ""),
            buyer_id_number=request.form.get("buyer_id_number", ""),
            official=request.form.get("official", ""), hasher=instance.hasher(),
            now=clock.now())
    except IdNumberError:
        return fail(_("The buyer's ID number is not valid for the ID type chosen."))
    except LedgerError as exc:
        return fail(ledger_refusal(exc, "transfer"))
    upload = request.files.get("evidence")
    content = upload.read(vault.MAX_BYTES + 1) if upload else b""
    try:
        sha, _mime = vault.put(a.id, "transfer", content)
    except vault.VaultError:
        return fail(_("Attach the scan or photo of the registry record of the transfer (PDF, "
                      "JPEG or PNG, at most 10 MB)."))
    payload = {**draft.payload, "evidence_sha256": sha}
    summary = [_("Units %(units)s were transferred on %(time)s; from then on the buyer votes.",
                 units="、".join(draft.units), time=local(at)),
               _("The seller's ballots before the transfer stand on items: %(items)s.",
                 items="、".join(draft.voted_items) or "—"),
               _("Registry record SHA-256 %(sha)s…", sha=sha[:16])]
    return jsonify(to_sign(UNIT_TRANSFERRED, payload, summary))


def head_unit(head) -> str | None:
    """The unit typed in, when the frozen roster counts it with others as one owner (the
    developer's units, one buyer's several): the sale splits that head."""
    label = f"{request.form.get('building', '').strip()}-{request.form.get('unit', '').strip()}"
    return label if len(head.unit_ids) > 1 else None


@bp.post("/a/<int:assembly_id>/transfers/submit")
@roles_required(*MANAGERS)
def transfer_submit(assembly_id: int):
    a = managed_assembly(assembly_id)
    payload, sig = signed_request()
    if payload is None:
        return sig
    return answer_signed(
        a, lambda: transfer_service.record(db(), a.id, payload=payload, sig=sig, **signed_by()),
        action="transfer", back="committee.transfers",
        done=lambda n: _("Transfer recorded as ledger entry %(n)s.", n=n))
