"""What the auditor pages read, with the request's session.

Thin: :mod:`ownervote.services.public_records` reads them.  A record that does not
exist (a draft, an unknown id, a size never signed) raises
:class:`~ownervote.services.errors.NotFound`, which every view answers with 404
(:mod:`web.errors`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from werkzeug.exceptions import HTTPException

from ownervote.services import public_records
from ownervote.services.public_records import CheckpointView, Cosigner, Record
from web.database import db

__all__ = ["CheckpointView", "Cosigner", "Record", "entry_time", "existing_page",
           "latest_checkpoint", "record_or_404"]


def record_or_404(assembly_id: int) -> Record:
    """The assembly's public record; 404 for drafts and unknown ids (drafts have no log)."""
    return public_records.record(db(), assembly_id)


def latest_checkpoint(assembly_id: int) -> Any:
    """The newest signed checkpoint (``size``, ``note``), or None."""
    return public_records.latest_checkpoint(db(), assembly_id)


def entry_time(assembly_id: int, index: int) -> dt.datetime:
    return public_records.entry_time(db(), assembly_id, index)


def existing_page(path: str) -> str | None:
    """``path`` if some GET route of this application serves it (another area's page)."""
    adapter = current_app.url_map.bind("localhost")
    try:
        adapter.match(path, method="GET")
    except HTTPException:
        return None
    return path
