"""Public pages: the start page, language switch, how to verify."""

from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, abort, redirect, render_template, request
from flask_babel import gettext as _

from ownervote.services import public_records
from web import instance
from web.access import public
from web.database import db

bp = Blueprint("public", __name__)


@bp.get("/")
@public
def home():
    return render_template("public/home.html",
                           assemblies=public_records.listed_assemblies(db()))


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths: never an open redirect.
    if not target:
        return "/"
    if not target.isprintable():
        # a line break or other control character cannot go into a Location header
        abort(400, _("That return address is not valid."))
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@bp.get("/lang/<lang>")
@public
def set_language(lang: str):
    response = redirect(_safe_next(request.args.get("next")))
    if lang in ("zh", "en"):
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                            secure=instance.settings().production)
    return response


@bp.get("/verify")
@public
def verify_help():
    from ownervote import __version__

    return render_template("public/verify_help.html", version=__version__)


@bp.get("/healthz")
@public
def healthz():
    """Liveness probe and the benchmark's baseline: no database, no template."""
    return {"status": "ok"}
