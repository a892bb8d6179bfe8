"""Written proxies (委托书, 物业管理条例 第12条) typed in and signed by a committee member.

The agent is recorded in the ledger by a pseudonym (a keyed hash of their ID
number), so the same person acting for several owners is recognised for the
assembly's proxy cap without their identity being published.  The agent's
name is kept encrypted for the committee; the scanned proxy is stored in the
committee's vault and only its SHA-256 goes into the ledger.  The proxy cap is the
ledger's rule (:func:`ledger.store.committee.check_proxy`), asked before the member
signs and applied again when the signed entry comes back.
"""

from __future__ import annotations

from flask import abort, jsonify, render_template, request
from flask_babel import gettext as _

from identity.errors import IdNumberError
from identity.masking import mask_name
from identity.vocab import ID_TYPE_ZH, USCC
from ledger.errors import LedgerError
from ledger.kinds import PROXY_REGISTERED
from ownervote.services import committee_keys
from ownervote.services import proxies as proxy_service
from ownervote.services.committee_keys import EntryRefused
from voting.lifecycle import Status
from voting.textlimits import TextField, fits
from web import instance
from web.access import roles_required
from web.committee import bp, clock, vault
from web.committee.console import MANAGERS, local, managed_assembly
from web.committee.forms import too_long
from web.committee.paper import typed_unit
from web.committee.refusals import ledger_refusal
from web.committee.signing import (
    answer_signed,
    console_json,
    fail,
    refused,
    signed_by,
    signed_request,
    to_sign,
)
from web.database import db


def agent_ref(id_type: str, number: str) -> str:
    """The agent's pseudonym in the ledger (raises :class:`IdNumberError`)."""
    return proxy_service.agent_ref(instance.hasher(), id_type, number)


@bp.get("/a/<int:assembly_id>/proxies")
@roles_required(*MANAGERS)
def proxies(assembly_id: int):
    a = managed_assembly(assembly_id)
    if a.status == Status.DRAFT.value:
        abort(404)
    rows = [{"units": list(p.units), "agent": p.agent, "ref": p.ref, "evidence": p.evidence,
             "entry": p.entry, "at": local(p.at)}
            for p in proxy_service.registered(db(), a.id, cipher=instance.pii())]
    id_types = [(code, zh) for code, zh in ID_TYPE_ZH.items() if code != USCC]
    return render_template("committee/proxies.html", a=a, rows=rows,
                           buildings=committee_keys.roster_buildings(db(), a.id),
                           id_types=id_types, cap=proxy_service.proxy_cap(db(), a.id),
                           can_register=a.status in (Status.NOTICED.value, Status.OPEN.value))


@bp.post("/a/<int:assembly_id>/proxies/prepare")
@roles_required(*MANAGERS)
def proxy_prepare(assembly_id: int):
    a = managed_assembly(assembly_id)
    try:
        head = typed_unit(a)
    except EntryRefused as exc:
        return refused(exc, "proxy")
    except LedgerError as exc:  # no log yet
        return fail(ledger_refusal(exc, "proxy"))
    name = (request.form.get("agent_name") or "").strip()
    if not name:
        return fail(_("Enter the agent's name as on their ID."))
    if not fits(TextField.PERSON_NAME, name):
        return fail(too_long(TextField.PERSON_NAME))
    try:
        ref = agent_ref(request.form.get("agent_id_type", ""),
                        request.form.get("agent_id_number", ""))
    except IdNumberError:
        return fail(_("The agent's ID number is not valid for the ID type chosen."))
    try:
        payload = proxy_service.prepare(db(), a.id, head_id=head.head_id, agent=ref,
                                        official=request.form.get("official", ""),
                                        now=clock.now())
    except LedgerError as exc:
        return fail(ledger_refusal(exc, "proxy"))
    upload = request.files.get("evidence")
    content = upload.read(vault.MAX_BYTES + 1) if upload else b""
    try:
        sha, _mime = vault.put(a.id, "proxy", content)
    except vault.VaultError:
        return fail(_("Attach the scan or photo of the signed written proxy (PDF, JPEG or PNG, "
                      "at most 10 MB)."))
    payload["evidence_sha256"] = sha
    summary = [_("Units %(units)s appoint %(agent)s as their agent.",
                 units="、".join(head.unit_ids), agent=mask_name(name)),
               _("Written proxy SHA-256 %(sha)s…", sha=sha[:16])]
    return jsonify(to_sign(PROXY_REGISTERED, payload, summary))


@bp.post("/a/<int:assembly_id>/proxies/submit")
@roles_required(*MANAGERS)
def proxy_submit(assembly_id: int):
    a = managed_assembly(assembly_id)
    payload, sig = signed_request()
    if payload is None:
        return sig
    name = console_json().get("agent_name")
    name = name.strip() if isinstance(name, str) else ""
    if not fits(TextField.PERSON_NAME, name):  # the prepared entry's name, sent back
        return fail(too_long(TextField.PERSON_NAME))
    return answer_signed(
        a, lambda: proxy_service.register(db(), a.id, payload=payload, sig=sig, agent_name=name,
                                          cipher=instance.pii(), **signed_by()),
        action="proxy", back="committee.proxies",
        done=lambda n: _("Proxy registered as ledger entry %(n)s. The agent votes on paper: "
                         "they fill in and sign the ballot sheet for these units and hand it to "
                         "the committee, which enters it under Paper ballots.", n=n))
