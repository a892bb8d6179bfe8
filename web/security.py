"""Security headers on every response, and proxy awareness in production."""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

# No inline scripts or styles anywhere: every script is a file under /static.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

#: On every response unless the view set its own.
ALWAYS = (
    ("Content-Security-Policy", CSP),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")  # behind TLS
NO_STORE = ("Cache-Control", "no-store")  # the API and pages


def init_app(app: Flask) -> None:
    settings = app.config["OWNERVOTE"]
    if settings.production:
        # Flask's documented way to add WSGI middleware; Flask types wsgi_app as a method,
        # so mypy sees a method assignment
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    @app.after_request
    def _headers(response: Response) -> Response:
        # one pass over the response's few headers, not one lookup per header (on every
        # request, casting included)
        h = response.headers
        present = {name.lower() for name in h.keys()}
        wanted = list(ALWAYS)
        if request.is_secure:
            wanted.append(HSTS)
        if request.path.startswith("/api/") or response.mimetype == "text/html":
            wanted.append(NO_STORE)
        h.extend([(name, value) for name, value in wanted if name.lower() not in present])
        return response
