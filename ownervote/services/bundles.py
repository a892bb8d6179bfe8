"""Audit bundles: one zip per assembly, verifiable offline (docs/audit-bundle.md).

For the command line (``ownervote bundle export``), :func:`export` first signs a
checkpoint of the current log (one unit of work) unless told not to, then writes the
log up to its newest checkpoint with everything a verifier needs
(:func:`ledger.store.export.export_bundle`), signed with the log's own key.

For download (:func:`download`), the file is written once per log state (newest
signed size, number of checkpoints and cosignatures) and release (the bundle's
``producer.json`` names the version that wrote it, so a new release writes it again)
into the instance folder's
``bundles/assembly-<id>/``; a new checkpoint or cosignature makes a new file
and the older ones of that assembly are removed.  Each download is recorded in the audit
trail (:func:`download`; an anonymous one as ``anonymous``, nothing else of the reader).

Who may download it: :func:`is_public` decides when anyone may (a secret assembly once
voting has closed: its ballots are ciphertexts and reveal no head's choice, docs/roles.md);
otherwise the web layer's readers of the community (:mod:`web.auditor.bundles`).
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ledger.errors import LedgerError
from ledger.store.checkpoints import issue_checkpoint
from ledger.store.export import export_bundle
from ledger.store.publish import assembly_settings
from ownervote import __version__
from ownervote.audit import record
from ownervote.config import Settings
from ownervote.services import public_records
from ownervote.services.errors import ServiceError
from ownervote.services.keys import log_signer_for
from ownervote.services.unit_of_work import end_read, writing
from voting.lifecycle import voting_over
from voting.store.models import Assembly

log = logging.getLogger(__name__)


class BundleUnavailable(ServiceError):
    """No bundle can be given now.  ``code``:

    * ``no_checkpoint`` — no checkpoint of the log has been signed yet;
    * ``not_written`` — writing it failed (no key file holds the log's key, or the
      stored log is not in a state to export; logged for the administrator).
    """

    def __init__(self, code: str, assembly_id: int) -> None:
        self.code, self.assembly_id = code, assembly_id
        super().__init__(f"assembly {assembly_id}: no audit bundle ({code})")


@dataclass(frozen=True)
class BundleFile:
    path: Path
    size: int  # the log size it covers (its newest signed checkpoint's)


def is_public(a: Assembly) -> bool:
    """May anyone download this assembly's bundle (no sign-in)?

    Yes for a **secret** assembly once voting has **closed**: every ballot in it is an
    encrypted ballot with its proofs, so the bundle reveals no head's choice (what it does
    reveal — who took part on which item, when, with which kind of ballot — is listed in
    docs/roles.md and docs/secret-ballots.md §14).  While voting is open it would show,
    live, which homes have voted so far, which the law publishes only with the result: it
    stays with the community's readers until the close, like every open assembly's."""
    return voting_over(a.status) and assembly_settings(a).secret


def public(session: Session, assembly_id: int) -> bool:
    """:func:`is_public` of ``assembly_id`` (False for an id that names nothing)."""
    a = session.get(Assembly, assembly_id)
    return a is not None and is_public(a)


def cache_dir(settings: Settings, assembly_id: int) -> Path:
    path = Path(settings.instance_dir) / "bundles" / f"assembly-{assembly_id}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def bundle_file(session: Session, assembly_id: int, *, settings: Settings) -> BundleFile:
    """The bundle file of the log's current signed state (written if missing)."""
    latest = public_records.latest_checkpoint(session, assembly_id)
    if latest is None:
        raise BundleUnavailable("no_checkpoint", assembly_id)
    state = (f"size{latest.size}-cp{public_records.checkpoint_count(session, assembly_id)}"
             f"-cs{public_records.cosignature_count(session, assembly_id)}"
             f"-ownervote{__version__}")
    folder = cache_dir(settings, assembly_id)
    path = folder / f"{state}.zip"
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
        os.close(fd)
        try:
            export_bundle(session, assembly_id, tmp,
                          log_signer_for(session, settings, assembly_id))
            os.replace(tmp, path)  # atomic: another worker may be writing the same state
        except LedgerError as exc:  # KeyFileError is one
            log.exception("audit bundle of assembly %s could not be written", assembly_id)
            Path(tmp).unlink(missing_ok=True)
            raise BundleUnavailable("not_written", assembly_id) from exc
        finally:
            end_read(session)  # the export read the whole log: give the connection back
        for old in folder.glob("*.zip"):
            if old != path:
                old.unlink(missing_ok=True)  # open downloads keep their file until closed
    return BundleFile(path, latest.size)


def download(session: Session, assembly_id: int, *, settings: Settings,
             actor: str) -> BundleFile:
    """The bundle file (as :func:`bundle_file`), its download recorded in the audit trail."""
    found = bundle_file(session, assembly_id, settings=settings)
    with writing(session):
        record(session, actor, "bundle.download", f"assembly:{assembly_id}", size=found.size)
    return found


def export(session: Session, settings: Any, assembly_id: int, out: Path | str, *,
           checkpoint: bool = True) -> dict:
    """Write the audit bundle of ``assembly_id`` to ``out``; a summary of what it holds."""
    signer = log_signer_for(session, settings, assembly_id)
    if checkpoint:
        with writing(session):
            issue_checkpoint(session, assembly_id, signer)
    try:
        return export_bundle(session, assembly_id, out, signer)
    finally:
        end_read(session)
