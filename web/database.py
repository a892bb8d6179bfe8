"""One SQLAlchemy session per request, closed at teardown."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from ownervote.config import Settings
from ownervote.db import make_engine, make_session_factory


def init_app(app: Flask, settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    app.extensions["ownervote.engine"] = engine
    app.extensions["ownervote.sessionmaker"] = make_session_factory(engine)

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
