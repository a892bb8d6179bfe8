"""The audit bundle download: who may have it, and the file cached per log state.

Access (docs/roles.md, published at /audit/access): the bundle attributes
every ballot to a unit's head — pseudonymous, but unit numbers are public in
the announcements, so it reveals how each unit voted.  It is therefore given
to the people with a stake in or oversight of that community only: signed-in
owners of the community, its committee, supervisors of its district (street
office), auditors and administrators.  Anyone else gets 404 (a member of
another community learns nothing); the checkpoints, which let anyone hold
the log to its history, stay public.

The file is written by :func:`ledger.store.export.export_bundle` once per log
state (newest signed size, number of checkpoints and cosignatures) into the
instance folder and then streamed from disk; a new checkpoint or
cosignature makes a new file and the older ones of that assembly are removed.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from flask import abort, send_file
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from ledger.errors import KeyFileError, LedgerError
from ledger.keys import load_key_ring
from ownervote.audit import record
from web import services
from web.access import can_read, owner_of, roles_required
from web.auditor import bp, records
from web.auditor.records import Record
from web.auth import actor
from web.database import db

log = logging.getLogger(__name__)
BUNDLE_ROLES = ("owner", "committee", "supervisor", "auditor", "admin")


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


def may_download(rec: Record) -> bool:
    from flask_login import current_user

    if not current_user.is_authenticated or current_user.role not in BUNDLE_ROLES:
        return False
    if current_user.role == "owner":
        return owner_of(rec.community.id, rec.assembly.roster_version_id)
    return can_read(rec.community)


def _cache_dir(assembly_id: int) -> Path:
    path = Path(services.settings().instance_dir) / "bundles" / f"assembly-{assembly_id}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _signer(rec: Record):
    ring = load_key_ring(services.settings().log_key_file)
    signer = ring.get(rec.head.log_vkey)
    if signer is None:
        raise KeyFileError("no key file holds this log's key")
    return signer


def cached_bundle(rec: Record) -> tuple[Path, int]:
    """The bundle file for the log's current signed state (written if missing) and its size."""
    latest = records.latest_checkpoint(rec.id)
    if latest is None:
        abort(409, _("No checkpoint has been signed yet, so there is no bundle to download."))
    state = f"size{latest.size}-cp{records.checkpoint_count(rec.id)}" \
            f"-cs{records.cosignature_count(rec.id)}"
    folder = _cache_dir(rec.id)
    path = folder / f"{state}.zip"
    if not path.exists():
        from ledger.store.export import export_bundle

        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
        os.close(fd)
        try:
            export_bundle(db(), rec.id, tmp, _signer(rec))
            os.replace(tmp, path)  # atomic: another worker may be writing the same state
        except (LedgerError, KeyFileError):
            log.exception("audit bundle of assembly %s could not be written", rec.id)
            Path(tmp).unlink(missing_ok=True)
            abort(409, _("The audit bundle cannot be produced right now. The administrator has "
                         "been told; please try again later."))
        finally:
            db().rollback()  # end the reading transaction
        for old in folder.glob("*.zip"):
            if old != path:
                old.unlink(missing_ok=True)  # open downloads keep their file until closed
    return path, latest.size


@bp.get("/assemblies/<int:assembly_id>/bundle.zip")
@roles_required(*BUNDLE_ROLES)
def bundle(assembly_id: int):
    rec = records.record_or_404(assembly_id)
    if not may_download(rec):
        abort(404)
    path, size = cached_bundle(rec)
    record(db(), actor(), "bundle.download", f"assembly:{assembly_id}", size=size)
    db().commit()
    response = send_file(path, mimetype="application/zip", as_attachment=True,
                         download_name=f"ownervote-assembly-{assembly_id}-size-{size}.zip",
                         conditional=True, etag=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
