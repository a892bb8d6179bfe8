"""When the database cannot serve a request: a clear answer instead of a server error.

* A number in the path (``/a/<int:assembly_id>``) beyond the database's integer
  columns (PostgreSQL ``integer``: below 2³¹) names nothing: 404, before any
  query (PostgreSQL would refuse to compare it, SQLite to bind past 2⁶³).
* A NUL character in a path value, a query string, a form field or a JSON
  body is refused with 400 before any view (no text here may contain one, and
  PostgreSQL cannot store it).
* The database unreachable or busy: "try again", as follows.

A restart or fail-over of PostgreSQL, a dropped connection, a full connection
pool, a lock that could not be had in time (SQLite ``database is locked``,
PostgreSQL lock or statement time-outs, serialization failures, deadlocks)
are answered ``503 Service Unavailable`` with ``Retry-After`` and, under
``/api/``, ``{"error": "retry", "message": ..., "retry_after": seconds}``.
Nothing was recorded: the request's transaction was rolled back, so a client
sends the *same* request again.  For a ballot that is safe: if the first
attempt was committed after all (its answer was lost), the retry is refused
with ``409 seq_conflict`` whose ``next_seq`` shows the ballot number was used,
and the receipt can be looked up by its tracker.

Registered by :func:`web.extensions.init_app`.  Other database errors
(a constraint violated, a programming error) stay 500: retrying would not help.
"""

from __future__ import annotations

import logging

from flask import Flask, abort, jsonify, make_response, render_template, request
from flask_babel import gettext as _

from ownervote.services.engine import DATABASE_ERRORS, discard, is_retryable

log = logging.getLogger(__name__)

#: Seconds a client should wait before retrying.
RETRY_AFTER = 2

def retry_response():
    message = _("The service is briefly unavailable. Nothing was recorded; "
                "please send the same request again in a moment.")
    if request.path.startswith("/api/"):
        response = make_response(jsonify({"error": "retry", "message": message,
                                          "retry_after": RETRY_AFTER}), 503)
    else:
        response = make_response(render_template("error.html", status=503, message=message),
                                 503)
    response.headers["Retry-After"] = str(RETRY_AFTER)
    response.headers["Cache-Control"] = "no-store"
    return response


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
#: Path numbers must fit the database's ``integer`` columns (ids, sizes, positions).
MAX_PATH_INT = 2**31 - 1


def init_app(app: Flask) -> None:
    @app.url_value_preprocessor
    def _path_values(_endpoint, values) -> None:
        for value in (values or {}).values():
            if isinstance(value, int) and not 0 <= value <= MAX_PATH_INT:
                abort(404)
            if isinstance(value, str) and "\x00" in value:
                abort(404)

    @app.before_request
    def _no_nul():
        bad = any("\x00" in k or "\x00" in v for k, v in request.args.items(multi=True))
        if not bad and request.mimetype in FORM_TYPES:
            bad = any("\x00" in k or "\x00" in v for k, v in request.form.items(multi=True))
        if not bad and request.is_json:
            bad = b"\\u0000" in request.get_data(cache=True)
        if bad:
            from web.errors import error_response

            return error_response(400, _("The request contains a character that is not "
                                         "allowed (NUL)."), "malformed")
        return None

    def _database_error(exc: Exception):
        _forget_session()
        if not is_retryable(exc):  # retrying would not help: the general 500
            from web.errors import error_response

            log.error("database error on %s %s", request.method, request.path, exc_info=exc)
            return error_response(500, _("Something went wrong on our side. Nothing was "
                                         "recorded; please try again."), "internal")
        log.warning("database unavailable on %s %s: %s", request.method, request.path,
                    str(exc).splitlines()[0][:200])
        return retry_response()

    for cls in DATABASE_ERRORS:
        app.register_error_handler(cls, _database_error)


def _forget_session() -> None:
    """Give the request's session up now (its connection may be dead), so the end of the
    request does not trip over it again."""
    from flask import g

    session = g.pop("db", None)
    if session is not None:
        discard(session)
