"""The committee console (laptop first): assemblies, notice, dashboard, paper ballots, results.

Modules by concern: ``assemblies`` (drafts, settings, items, documents),
``notice`` (schedule, publish, the public notice), ``dashboard`` (participation,
non-voters, reminders, opening and closing), ``paper``, ``proxies`` and
``transfers`` (entries signed with the member's browser key, see ``signing``), ``results`` (count,
announcement, objections, the public announcement), ``further_round`` (另行选举 as a new
draft) and ``review`` (the
identity review queue).  ``public_bp`` carries the public notice and
announcement pages, which live outside ``/committee``.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("committee", __name__, url_prefix="/committee")
public_bp = Blueprint("notices", __name__)
extra_blueprints = (public_bp,)


@bp.record_once
def _setup(state) -> None:
    from web.committee import clock

    clock.init_app(state.app)


@bp.app_context_processor
def _clock_banner() -> dict:
    from web.committee import clock

    return {"clock_hours": lambda: int(clock.offset().total_seconds() // 3600)}


from web.committee import (  # noqa: E402,F401  (the views register themselves on import)
    assemblies,
    dashboard,
    further_round,
    notice,
    paper,
    proxies,
    results,
    review,
    signing,
    transfers,
    trustees,
)
