"""Audit bundles for download: written once per log state, then served from disk.

The file is written by :func:`ledger.store.export.export_bundle` once per log state
(newest signed size, number of checkpoints and cosignatures) into the instance
folder's ``bundles/assembly-<id>/``; a new checkpoint or cosignature makes a new file
and the older ones of that assembly are removed.  Who may download it is the web
layer's decision (:mod:`web.auditor.bundles`); each download is recorded in the audit
trail (:func:`download`).
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from ledger.errors import KeyFileError, LedgerError
from ledger.keys import load_key_ring
from ledger.note import Signer
from ledger.store import logstore
from ledger.store.export import export_bundle
from ownervote.audit import record
from ownervote.config import Settings
from ownervote.services import public_records
from ownervote.services.errors import ServiceError
from ownervote.services.unit_of_work import end_read, writing

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


def cache_dir(settings: Settings, assembly_id: int) -> Path:
    path = Path(settings.instance_dir) / "bundles" / f"assembly-{assembly_id}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _signer(session: Session, settings: Settings, assembly_id: int) -> Signer:
    ring = load_key_ring(settings.log_key_file)
    signer = ring.get(logstore.get_head(session, assembly_id).log_vkey)
    if signer is None:
        raise KeyFileError("no key file holds this log's key")
    return signer


def bundle_file(session: Session, assembly_id: int, *, settings: Settings) -> BundleFile:
    """The bundle file of the log's current signed state (written if missing)."""
    latest = public_records.latest_checkpoint(session, assembly_id)
    if latest is None:
        raise BundleUnavailable("no_checkpoint", assembly_id)
    state = (f"size{latest.size}-cp{public_records.checkpoint_count(session, assembly_id)}"
             f"-cs{public_records.cosignature_count(session, assembly_id)}")
    folder = cache_dir(settings, assembly_id)
    path = folder / f"{state}.zip"
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
        os.close(fd)
        try:
            export_bundle(session, assembly_id, tmp, _signer(session, settings, assembly_id))
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
