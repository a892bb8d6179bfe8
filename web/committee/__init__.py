"""The committee console (laptop first): assemblies, notice, dashboard, paper ballots, results."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("committee", __name__, url_prefix="/committee")
