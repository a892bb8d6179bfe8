"""Auditor and public records: announcements, checkpoints, cosignatures, bundles, receipts.

Everything here is read-only except witnesses' cosignatures, which are
authenticated by their own signature (verified by
:func:`ownervote.services.cosignatures.add`), not by a session.

* public: the list of assemblies, each assembly's record page (announcement
  link, log key, checkpoints with cosignatures, how to verify), receipt
  lookup by tracker code, the page explaining who may download bundles, and
  the plain-text checkpoint / consistency-proof endpoints witnesses use;
* restricted: the audit bundle itself (see :mod:`web.auditor.bundles`).
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("auditor", __name__, url_prefix="/audit")

from web.auditor import bundles, cosign, receipts, views  # noqa: E402,F401  (routes)
