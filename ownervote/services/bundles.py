"""Audit bundles: one zip per assembly, verifiable offline (``ownervote bundle export``).

:func:`export` first signs a checkpoint of the current log (one unit of work) unless
told not to, so the bundle is up to date, then writes the log up to its newest
checkpoint with everything a verifier needs (:func:`ledger.store.export.export_bundle`),
signed with the log's own key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ledger.store.checkpoints import issue_checkpoint
from ledger.store.export import export_bundle
from ownervote.services.keys import log_signer_for
from ownervote.services.unit_of_work import end_read, writing


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
