"""Written proxies (委托书, 物业管理条例 第12条) typed in and signed by a committee member.

The agent is recorded in the ledger by a pseudonym (a keyed hash of their ID
number), so the same person acting for several owners is recognised for the
assembly's proxy cap without their identity being published.  The agent's
name is kept encrypted for the committee; the scanned proxy is stored in the
committee's vault and only its SHA-256 goes into the ledger.
"""

from __future__ import annotations

from flask import abort, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from identity import idnumbers
from identity.errors import IdNumberError
from identity.masking import mask_name
from identity.pii import proxy_name_purpose
from identity.vocab import ID_TYPE_ZH, USCC
from ledger.ballots import new_nonce
from ledger.entries import PROXY_REGISTERED
from ledger.store import logstore, writer
from ledger.store.publish import assembly_settings
from ownervote.audit import record
from voting.lifecycle import Status
from voting.store.models import Assembly, Proxy
from web import services
from web.access import roles_required
from web.committee import bp, clock, vault
from web.committee.common import MANAGERS, local, managed_assembly, member_actor
from web.committee.figures import snapshot
from web.committee.paper import resolve_unit
from web.committee.signing import append_signed, fail, signed_request, to_sign
from web.database import db


def agent_ref(id_type: str, number: str) -> str:
    code, normalised = idnumbers.validate(id_type, number)
    return "agent-" + services.hasher().id_hash(code, normalised, normalised=True)[:32]


def _active(a: Assembly, ref: str | None = None) -> list[Proxy]:
    q = select(Proxy).where(Proxy.assembly_id == a.id, Proxy.revoked_at.is_(None))
    if ref is not None:
        q = q.where(Proxy.agent_ref == ref)
    return list(db().scalars(q.order_by(Proxy.id)))


def cap_refusal(a: Assembly, ref: str, head: str) -> str | None:
    """Why this agent may not represent this owner, or None (the assembly's proxy cap)."""
    cap = assembly_settings(a).proxy_cap
    if cap == 0:
        return _("This assembly does not accept proxies (its proxy cap is 0).")
    heads = {p.head_id for p in _active(a, ref)}
    if head in heads:
        return _("This agent is already registered for this owner.")
    if cap is not None and len(heads) >= cap:
        return _("This agent already represents %(n)s owners; this assembly allows at most "
                 "%(cap)s per agent.", n=len(heads), cap=cap)
    return None


@bp.get("/a/<int:assembly_id>/proxies")
@roles_required(*MANAGERS)
def proxies(assembly_id: int):
    a = managed_assembly(assembly_id)
    if a.status == Status.DRAFT.value:
        abort(404)
    s = snapshot(a)
    cipher = services.pii()
    rows = []
    for p in _active(a):
        head = s.roster.heads.get(p.head_id)
        purpose = proxy_name_purpose(a.id, p.agent_ref)
        name = cipher.decrypt_text(p.agent_name_enc, purpose=purpose) \
            if p.agent_name_enc else ""
        rows.append({"units": list(head.unit_ids) if head else [p.head_id],
                     "agent": mask_name(name) if name else p.agent_ref[:14],
                     "ref": p.agent_ref, "evidence": p.evidence_sha256, "entry": p.entry_index,
                     "at": local(p.created_at)})
    buildings = sorted({u.building or "" for u in s.roster.units.values()},
                       key=lambda b: (len(b), b))
    id_types = [(code, zh) for code, zh in ID_TYPE_ZH.items() if code != USCC]
    return render_template("committee/proxies.html", a=a, rows=rows, buildings=buildings,
                           id_types=id_types, cap=assembly_settings(a).proxy_cap,
                           can_register=a.status in (Status.NOTICED.value, Status.OPEN.value))


@bp.post("/a/<int:assembly_id>/proxies/prepare")
@roles_required(*MANAGERS)
def proxy_prepare(assembly_id: int):
    a = managed_assembly(assembly_id)
    if a.status not in (Status.NOTICED.value, Status.OPEN.value):
        return fail(_("Proxies are registered between the notice and the close."))
    s = snapshot(a)
    head, why = resolve_unit(a, s, request.form.get("building", ""),
                             request.form.get("unit", ""))
    if head is None:
        return fail(why)
    name = (request.form.get("agent_name") or "").strip()
    if not name or len(name) > 100:
        return fail(_("Enter the agent's name as on their ID."))
    try:
        ref = agent_ref(request.form.get("agent_id_type", ""),
                        request.form.get("agent_id_number", ""))
    except IdNumberError:
        return fail(_("The agent's ID number is not valid for the ID type chosen."))
    refusal = cap_refusal(a, ref, head)
    if refusal is not None:
        return fail(refusal)
    upload = request.files.get("evidence")
    content = upload.read(vault.MAX_BYTES + 1) if upload else b""
    try:
        sha, _mime = vault.put(a.id, "proxy", content)
    except vault.VaultError:
        return fail(_("Attach the scan or photo of the signed written proxy (PDF, JPEG or PNG, "
                      "at most 10 MB)."))
    payload = {"origin": logstore.get_head(db(), a.id).origin, "head": head, "agent": ref,
               "official": request.form.get("official", ""), "nonce": new_nonce(),
               "evidence_sha256": sha}
    summary = [_("Units %(units)s appoint %(agent)s as their agent.",
                 units="、".join(s.roster.heads[head].unit_ids), agent=mask_name(name)),
               _("Written proxy SHA-256 %(sha)s…", sha=sha[:16])]
    return jsonify(to_sign(PROXY_REGISTERED, payload, summary))


@bp.post("/a/<int:assembly_id>/proxies/submit")
@roles_required(*MANAGERS)
def proxy_submit(assembly_id: int):
    a = managed_assembly(assembly_id)
    payload, sig = signed_request(a.id)
    if payload is None:
        return sig
    name = ((request.get_json(silent=True) or {}).get("agent_name") or "").strip()[:100]
    ref, head = str(payload.get("agent", "")), str(payload.get("head", ""))
    refusal = cap_refusal(a, ref, head)
    if refusal is not None:
        return fail(refusal)

    def write(session):
        out = writer.register_proxy(session, a.id, payload, sig, now=clock.now())
        session.add(Proxy(
            assembly_id=a.id, head_id=head, agent_ref=ref,
            agent_name_enc=services.pii().encrypt_text(name, purpose=proxy_name_purpose(a.id, ref))
            if name else None,
            evidence_sha256=payload.get("evidence_sha256"), entry_index=out.index,
            created_at=clock.now()))
        record(session, member_actor(), "proxy.register", f"assembly:{a.id}", entry=out.index,
               head=head)
        return out

    return append_signed(a, write, back="committee.proxies",
                         done=lambda n: _("Proxy registered as ledger entry %(n)s.", n=n))
