"""Every blueprint of the application, registered in one place."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from web import api, auditor, auth, committee, owner, public

    for module in (public, auth, owner, api, committee, auditor):
        app.register_blueprint(module.bp)
