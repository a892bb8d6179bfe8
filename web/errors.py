"""Errors as clear pages (HTML) or JSON (API), never a traceback.

A service's :class:`~ownervote.services.errors.NotFound` is a 404, wherever it is raised.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.exceptions import NotFound as PageNotFound

from ownervote.services.errors import NotFound

log = logging.getLogger(__name__)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str, code: str = "error"):
    if wants_json():
        return jsonify({"error": code, "message": message}), status
    return render_template("error.html", status=status, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        return error_response(400, _("The form expired or was not sent from this site. "
                                     "Please reload the page and try again."), "csrf")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if isinstance(exc, InternalServerError):
            return _internal(exc)
        return error_response(exc.code or 400, exc.description or exc.name,
                              exc.name.lower().replace(" ", "_"))

    @app.errorhandler(NotFound)
    def _not_found(exc: NotFound):
        # a service found nothing by that id: the same answer as a page that does not exist
        return _http(PageNotFound())

    @app.errorhandler(Exception)
    def _internal(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, _("Something went wrong on our side. Nothing was "
                                     "recorded; please try again."), "internal")
