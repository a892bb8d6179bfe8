"""The JSON API under ``/api/v1/`` (described by ``/api/v1/openapi.json``, docs/api.md).

The owners' phone pages use it themselves, so another client (a WeChat
mini-program, a kiosk) can do everything they do.  One module per resource:

* ``assemblies``   — list, agenda and participation, newest checkpoint, ballot lookup
* ``verification`` — session info, registry match, SMS code, confirm (signs in)
* ``enrolment``    — the phone's device key; ballot keys per assembly and head
* ``ballots``      — the ballot template (what to sign) and casting
* ``openapi``      — the OpenAPI 3 document

Every error is ``{"error": code, "message": text}`` with a 4xx status
(see :mod:`web.api.protocol`).
"""

from __future__ import annotations

from flask import Blueprint

from ownervote.services.errors import NotFound
from web.api.protocol import ApiError, not_found

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.app_errorhandler(ApiError)
def _api_error(exc: ApiError):
    """JSON under /api/ (with the extra fields); a plain error page elsewhere."""
    from web.errors import error_response, wants_json

    if wants_json():
        return exc.response()
    return error_response(exc.status, exc.message, exc.code)


@bp.errorhandler(NotFound)
def _not_found(exc: NotFound):
    """A service's ``NotFound`` in this blueprint's views: 404 (its views mostly say so
    themselves, with :func:`web.api.protocol.not_found`)."""
    return _api_error(not_found(exc))


from web.api import assemblies, ballots, enrolment, openapi, verification  # noqa: E402,F401
