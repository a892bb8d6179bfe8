"""Auditor and public records: announcements, checkpoints, cosignatures, bundles, receipts."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("auditor", __name__, url_prefix="/audit")
