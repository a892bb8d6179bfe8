"""Every blueprint of the application, registered in one place.

A module may add more blueprints through ``extra_blueprints`` (e.g. the
committee package's public notice and announcement pages, which live outside
``/committee``).
"""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from web import admin, api, auditor, auth, committee, owner, public, supervisor

    for module in (public, auth, owner, api, committee, auditor, supervisor, admin):
        app.register_blueprint(module.bp)
        for extra in getattr(module, "extra_blueprints", ()):
            app.register_blueprint(extra)
