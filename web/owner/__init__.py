"""Owner pages, phone first: one module per step of the vote.

    /a/<id>                     the assembly (what the notice's QR code opens): agenda,
                                documents, deadline, participation so far
    /a/<id>/verify              step 1: identity (registry match, phone, SMS code), then the
                                phone makes its device key
    /a/<id>/vote                steps 2 and 3: the ballot, a summary to confirm, signing
    /a/<id>/receipt/<tracker>   step 4: the receipt, with its QR code
    /a/<id>/check[/<tracker>]   "check my ballot": proofs verified in the browser

The pages hold no rules and no cryptography: they render what the JSON API
(``web.api``) computes, and their scripts (``static/js/owner-*.js``) call the
same API a mini-program would.
"""

from __future__ import annotations

from flask import Blueprint

from ownervote.services.errors import NotFound

bp = Blueprint("owner", __name__)


@bp.errorhandler(NotFound)
def _not_found(exc: NotFound):
    """A service's ``NotFound`` in these pages: the plain error page (404)."""
    from web.api.protocol import not_found
    from web.errors import error_response

    answer = not_found(exc)
    return error_response(answer.status, answer.message, answer.code)

from web.owner import assembly, ballot, receipt, verify  # noqa: E402,F401
