"""The audit bundle download: who may have it, and the file cached per log state.

Access (docs/roles.md, published at /audit/access):

* an **open** assembly's bundle attributes every ballot, with its choices, to a unit's
  head — pseudonymous, but unit numbers are public in the announcements, so it reveals
  how each unit voted.  It is given to the people with a stake in or oversight of that
  community only: signed-in owners of the community, its committee, supervisors of its
  district (street office), auditors and administrators.  Anyone else gets 401 signed
  out and 404 signed in (a member of another community learns nothing);
* a **secret** assembly's bundle holds encrypted ballots only and reveals no head's
  choice: once voting has closed it is public (:func:`ownervote.services.bundles.
  is_public`), anyone may download it and the announcement links it.  Before the close it
  would show live which homes have voted, so it is given as an open assembly's.

The checkpoints, which let anyone hold the log to its history, are public in both modes.
The file is written once per log state and then streamed from disk
(:mod:`ownervote.services.bundles`); each download is recorded in the audit trail
(``anonymous`` for a download without sign-in) and anonymous downloads are rate-limited
per address.
"""

from __future__ import annotations

from flask import abort, send_file
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user

from ownervote.services import bundles
from web import instance
from web.access import can_read, owner_of, roles_required
from web.auditor import bp, records
from web.auditor.records import Record
from web.auth import actor
from web.database import db
from web.extensions import limiter

BUNDLE_ROLES = ("owner", "committee", "supervisor", "auditor", "admin")
#: anonymous downloads of public bundles, per client address
PUBLIC_LIMIT = "10 per minute; 60 per hour"


def bundle_audience() -> list[tuple[str, str]]:
    """(who, why) for the access page; the same rule :func:`may_download` applies."""
    return [
        (lazy_gettext("Owners of the community, signed in"),
         lazy_gettext("They took part (or could have) and may check every ballot themselves.")),
        (lazy_gettext("The community's owners' committee"),
         lazy_gettext("It convened the assembly and answers for its record.")),
        (lazy_gettext("Street-office supervisors of the community's district"),
         lazy_gettext("They oversee owners' assemblies in their district (read-only).")),
        (lazy_gettext("Auditors"),
         lazy_gettext("They check records of every community, read-only.")),
        (lazy_gettext("Platform administrators"),
         lazy_gettext("They run the service and answer requests from courts.")),
    ]


def is_public(rec: Record) -> bool:
    """Anyone may download this bundle (a secret assembly, voting closed)."""
    return bundles.is_public(rec.assembly)


def _public(assembly_id: int) -> bool:
    return bundles.public(db(), assembly_id)


def may_download(rec: Record) -> bool:
    if is_public(rec):
        return True
    if not current_user.is_authenticated or current_user.role not in BUNDLE_ROLES:
        return False
    if current_user.role == "owner":
        return owner_of(rec.community.id, rec.assembly.roster_version_id)
    return can_read(rec.community)


def _unavailable(exc: bundles.BundleUnavailable) -> str:
    if exc.code == "no_checkpoint":
        return _("No checkpoint has been signed yet, so there is no bundle to download.")
    return _("The audit bundle cannot be produced right now. The administrator has "
             "been told; please try again later.")


@bp.get("/assemblies/<int:assembly_id>/bundle.zip")
@roles_required(*BUNDLE_ROLES, public_when=_public)
@limiter.limit(PUBLIC_LIMIT, exempt_when=lambda: current_user.is_authenticated)
def bundle(assembly_id: int):
    rec = records.record_or_404(assembly_id)
    if not may_download(rec):
        abort(404)
    try:
        found = bundles.download(db(), assembly_id, settings=instance.settings(), actor=actor())
    except bundles.BundleUnavailable as exc:
        abort(409, _unavailable(exc))
    response = send_file(found.path, mimetype="application/zip", as_attachment=True,
                         download_name=f"ownervote-assembly-{assembly_id}-size-{found.size}.zip",
                         conditional=True, etag=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
