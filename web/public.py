"""Public pages: the start page, language switch, how to verify."""

from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, redirect, render_template, request

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
    return render_template("public/verify_help.html")


@bp.get("/healthz")
@public
def healthz():
    """Liveness probe and the benchmark's baseline: no database, no template."""
    return {"status": "ok"}
