"""Security headers on every response, and proxy awareness in production."""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import ip_address, ip_network
from typing import TYPE_CHECKING

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

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


#: What a client may claim about itself through a proxy (WSGI environ keys).
FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                     "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PREFIX", "HTTP_FORWARDED")


class TrustedProxies:
    """``X-Forwarded-*`` only from the reverse proxies (``OWNERVOTE_FORWARDED_ALLOW_IPS``).

    Behind nginx the client's address and scheme arrive in ``X-Forwarded-For`` and
    ``X-Forwarded-Proto``; werkzeug's ``ProxyFix`` believes them from anyone, so a client
    connecting directly could name any address (a fresh one per request defeats every
    per-address limit: sign-in, verification) or claim HTTPS.  Here ``ProxyFix`` applies
    only when the connection comes from an allowed proxy; anyone else's forwarded
    headers are removed before the application sees them.
    """

    def __init__(self, app: WSGIApplication, allowed: str) -> None:
        self.direct = app
        self.proxied = ProxyFix(app, x_for=1, x_proto=1, x_host=1)
        entries = [a.strip() for a in allowed.split(",") if a.strip()]
        self.anyone = "*" in entries
        self.networks = [ip_network(a, strict=False) for a in entries if a != "*"]

    def trusted(self, address: str | None) -> bool:
        if self.anyone:
            return True
        try:
            ip = ip_address(address or "")
        except ValueError:  # a Unix socket, or no address at all
            return False
        return any(ip in net for net in self.networks)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self.trusted(environ.get("REMOTE_ADDR")):
            return self.proxied(environ, start_response)
        for key in FORWARDED_HEADERS:
            environ.pop(key, None)
        # (gunicorn reads X-Forwarded-Proto for the scheme from the same addresses only:
        # ``ownervote serve`` hands it the same list)
        return self.direct(environ, start_response)


def init_app(app: Flask) -> None:
    settings = app.config["OWNERVOTE"]
    if settings.production:
        # Flask's documented way to add WSGI middleware; Flask types wsgi_app as a method,
        # so mypy sees a method assignment
        app.wsgi_app = TrustedProxies(app.wsgi_app, settings.forwarded_allow_ips)  # type: ignore[method-assign]

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
