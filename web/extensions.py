"""Flask-Login, Flask-WTF (CSRF) and Flask-Limiter, shared by the blueprints."""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect


def _client_key() -> str:
    # Behind the reverse proxy, ProxyFix (see web.security) makes remote_addr the client's.
    return request.remote_addr or "unknown"


login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=_client_key)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "public.home"
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    limiter.init_app(app)

    from web import auth

    login_manager.user_loader(auth.load_user)
