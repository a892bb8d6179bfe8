"""Errors as clear pages (HTML) or JSON (API), never a traceback.

A service's :class:`~ownervote.services.errors.NotFound` is a 404, wherever it is raised.
An HTTP error raised without a message of ours (a route that does not exist, a method the
route does not take, a body too large …) carries werkzeug's English description; it is
worded from :func:`status_message` instead, in the reader's language.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge
from werkzeug.exceptions import NotFound as PageNotFound

from ownervote.services.errors import NotFound

log = logging.getLogger(__name__)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str, code: str = "error"):
    if wants_json():
        return jsonify({"error": code, "message": message}), status
    return render_template("error.html", status=status, message=message), status


def status_message(status: int) -> str | None:
    """What an error status means to the reader, in their language (None: no wording)."""
    messages = {
        400: _("The request could not be understood. Please go back and try again."),
        401: _("Please sign in first."),
        403: _("Your account may not open this page."),
        404: _("There is no page at this address. Please check the link or go back to the "
               "start page."),
        405: _("This address cannot be opened this way. Please use the buttons on the page."),
        413: _("What was sent is too large. Please send a smaller file."),
        429: _("Too many attempts in a short time. Please wait a moment and try again."),
        500: _("Something went wrong on our side. Nothing was recorded; please try again."),
    }
    return messages.get(status)


def _wording(exc: HTTPException) -> str:
    """Our own message when the view gave one, else the status's wording (never werkzeug's
    English default)."""
    status = exc.code or 400
    own = exc.description if exc.description != type(exc).description else None
    return own or status_message(status) or _("We could not do that")


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        return error_response(400, _("The form expired or was not sent from this site. "
                                     "Please reload the page and try again."), "csrf")

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge):
        # the whole body (MAX_CONTENT_LENGTH) or one form field (MAX_FORM_MEMORY_SIZE)
        return error_response(413, _("The request is too large (a file may be 10 MB at most, "
                                     "a text field far less)."), "too_large")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if isinstance(exc, InternalServerError):
            return _internal(exc)
        return error_response(exc.code or 400, _wording(exc),
                              exc.name.lower().replace(" ", "_"))

    @app.errorhandler(NotFound)
    def _not_found(exc: NotFound):
        # a service found nothing by that id: the same answer as a page that does not exist
        return _http(PageNotFound())

    @app.errorhandler(Exception)
    def _internal(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, status_message(500) or "", "internal")
