"""Public record pages: the list, an assembly's record, its checkpoints, how to verify.

Also the plain-text endpoints a witness (or anyone) fetches with a script:
a checkpoint note with its cosignatures, and a consistency proof between two
sizes in the format ``ownervote keys cosign --proof`` reads (one hex hash per line).
"""

from __future__ import annotations

from flask import Response, abort, jsonify, render_template, request
from flask_babel import gettext as _

from ledger.errors import LedgerError
from ownervote import __version__
from ownervote.services import public_records, secret_assemblies
from web.access import public
from web.api.protocol import ApiError, json_body, malformed
from web.auditor import bp, records
from web.auditor.bundles import bundle_audience, is_public, may_download
from web.database import db
from web.extensions import csrf
from web.numbers import whole_number_or_none

TEXT = "text/plain; charset=utf-8"


@bp.get("/")
@public
def index():
    return render_template("auditor/index.html",
                           assemblies=public_records.visible_assemblies(db()))


@bp.get("/access")
@public
def access():
    """Who may download audit bundles, and why (the decision, published)."""
    return render_template("auditor/access.html", audience=bundle_audience())


@bp.get("/assemblies/<int:assembly_id>")
@public
def assembly(assembly_id: int):
    rec = records.record_or_404(assembly_id)
    cps = public_records.checkpoints(db(), assembly_id)
    a = rec.assembly
    return render_template(
        "auditor/assembly.html", rec=rec, latest=cps[0] if cps else None,
        checkpoint_count=len(cps), may_download=may_download(rec),
        public_bundle=is_public(rec),
        announcement=records.existing_page(f"/a/{a.id}/announcement")
        if a.status == "announced" else None,
        notice=records.existing_page(f"/a/{a.id}/notice"),
        owner_page=records.existing_page(f"/a/{a.id}"),
    )


@bp.get("/assemblies/<int:assembly_id>/verify")
@public
def verify_steps(assembly_id: int):
    rec = records.record_or_404(assembly_id)
    latest = records.latest_checkpoint(assembly_id)
    return render_template("auditor/verify.html", rec=rec, may_download=may_download(rec),
                           public_bundle=is_public(rec),
                           size=latest.size if latest else 0,
                           notice=records.existing_page(f"/a/{assembly_id}/notice"),
                           # the release that writes this server's bundles (producer.json)
                           version=__version__)


@bp.get("/assemblies/<int:assembly_id>/checkpoints")
@public
def checkpoints(assembly_id: int):
    rec = records.record_or_404(assembly_id)
    return render_template("auditor/checkpoints.html", rec=rec,
                           checkpoints=public_records.checkpoints(db(), assembly_id),
                           witnesses=public_records.witnesses(db()))


@bp.get("/assemblies/<int:assembly_id>/checkpoints/<int:size>/note")
@public
def checkpoint_note(assembly_id: int, size: int):
    """One checkpoint as a signed note with every cosignature (what a witness cosigns)."""
    records.record_or_404(assembly_id)
    return Response(public_records.checkpoint_note(db(), assembly_id, size), mimetype=TEXT)


@bp.get("/assemblies/<int:assembly_id>/checkpoints/latest/note")
@public
def latest_note(assembly_id: int):
    records.record_or_404(assembly_id)
    return Response(public_records.checkpoint_note(db(), assembly_id), mimetype=TEXT)


@bp.get("/assemblies/<int:assembly_id>/consistency")
@public
def consistency(assembly_id: int):
    """RFC 9162 consistency proof between two signed sizes: ``?from=OLD&to=NEW``."""
    records.record_or_404(assembly_id)
    old_size = whole_number_or_none(request.args.get("from"))
    new_size = whole_number_or_none(request.args.get("to"))
    if old_size is None or new_size is None:
        abort(400, _("from and to must be checkpoint sizes"))
    # Only between signed checkpoints: nobody learns an unsigned tree head from this.
    public_records.checkpoint_at(db(), assembly_id, old_size)
    public_records.checkpoint_at(db(), assembly_id, new_size)
    if old_size > new_size:
        abort(400, _("from must not be larger than to"))
    try:
        proof = public_records.consistency_proof(db(), assembly_id, old_size, new_size)
    except LedgerError:
        abort(404)
    return Response("".join(h.hex() + "\n" for h in proof), mimetype=TEXT)


@bp.get("/challenge")
@public
def challenge():
    """Check a challenged secret ballot (docs/secret-ballots.md §9): the owner's phone reveals
    the randomness of a ballot it will never cast; this page opens it in the browser
    (ovsecret.js) and shows the choices it encrypts.  Nothing is sent to the server."""
    return render_template("auditor/challenge.html")


@bp.post("/challenge.json")
@public  # reads nothing, writes nothing: a pure check of the posted text
@csrf.exempt  # no session state to protect
def challenge_json():
    """The same check on the server (``ledger.secret.audit.audit_challenge``), for scripts
    and for a second opinion: the JSON the phone hands over in, the outcome out."""
    try:  # JSON answers, refusals too (this path is not under /api/)
        return jsonify(secret_assemblies.check_challenge(json_body()))
    except ApiError as exc:
        return exc.response()
    except secret_assemblies.ChallengeMalformed as exc:
        return malformed(str(exc)).response()
