"""The Flask application: owner, committee, auditor pages and the JSON API.

A thin shell over the service layer (:mod:`ownervote.services`): views parse the
request, call a service, and render what it returns or translate what it raises.
Built by :func:`create_app` (the Flask tutorial's application factory) with one
blueprint per audience.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from ownervote.config import Settings, load_settings

#: The largest request body: a 10 MB upload plus the rest of its form.
MAX_REQUEST_BYTES = 11 * 1024 * 1024


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    """Build the application for ``settings`` (default: from the environment)."""
    settings = settings or load_settings()
    from web.appclass import OwnervoteFlask

    app = OwnervoteFlask(__name__, instance_path=str(settings.instance_dir),
                         instance_relative_config=False)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        OWNERVOTE=settings,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.production,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.production,
        # the largest upload (a document or evidence scan, 10 MB) and its form; JSON bodies
        # have their own, smaller cap (web.jsonbody.MAX_JSON_BYTES)
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        BABEL_DEFAULT_LOCALE="zh_Hans_CN",
        BABEL_DEFAULT_TIMEZONE="Asia/Shanghai",
        WTF_CSRF_TIME_LIMIT=None,
        RATELIMIT_STORAGE_URI=settings.redis_url or "memory://",
        RATELIMIT_HEADERS_ENABLED=True,
    )
    app.config.update(overrides)

    from web import database, errors, extensions, i18n, instance, security, templating, throttle

    database.init_app(app, settings)
    instance.init_app(app, settings)
    extensions.init_app(app)
    throttle.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    templating.init_app(app)

    from web.blueprints import register_blueprints

    register_blueprints(app)
    return app
