"""One database session per request, closed at teardown.

The engine and session factory come from :func:`ownervote.services.engine.open_database`
(which also registers the storage layer's listeners on them); views never commit or roll
back: the services they call own every transaction.
"""

from __future__ import annotations

from flask import Flask, current_app, g

from ownervote.config import Settings
from ownervote.services.engine import Session, open_database


def init_app(app: Flask, settings: Settings) -> None:
    database = open_database(settings.database_url)
    app.extensions["ownervote.engine"] = database.engine
    app.extensions["ownervote.sessionmaker"] = database.sessions

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        session = g.pop("db", None)
        if session is not None:
            session.close()


def db() -> Session:
    """The request's database session."""
    if "db" not in g:
        g.db = current_app.extensions["ownervote.sessionmaker"]()
    return g.db
