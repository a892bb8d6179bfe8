"""The web shell: Chinese by default, security headers, clear errors, language switch."""

from __future__ import annotations

import re


def test_home_is_chinese_with_phone_viewport(client) -> None:
    r = client.get("/")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "业主大会电子投票" in html
    assert 'lang="zh-CN"' in html


def test_english_by_switch(client) -> None:
    r = client.get("/lang/en?next=/")
    assert r.status_code == 302 and r.headers["Location"] == "/"
    html = client.get("/").get_data(as_text=True)
    assert "Owners' assembly e-voting" in html


def test_language_switch_is_not_an_open_redirect(client) -> None:
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        r = client.get("/lang/zh", query_string={"next": target})
        assert r.headers["Location"] == "/"


def test_security_headers(client) -> None:
    r = client.get("/")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_no_inline_scripts_or_styles(client) -> None:
    html = client.get("/").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "style=" not in html


def test_unknown_page_is_a_clear_404(client) -> None:
    r = client.get("/no-such-page")
    assert r.status_code == 404
    assert "无法完成此操作" in r.get_data(as_text=True)


def test_api_errors_are_json(client) -> None:
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404
    assert r.is_json and r.get_json()["error"]


def test_healthz(client) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_every_message_has_a_chinese_translation() -> None:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "scripts/i18n.py", "missing"], capture_output=True,
                         text=True)
    assert out.returncode == 0, "untranslated messages:\n" + out.stdout


def test_no_route_is_registered_twice(app) -> None:
    """Two views on one URL and method: only the first would ever answer."""
    seen: dict[tuple[str, str], str] = {}
    clashes = []
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            key = (rule.rule, method)
            if key in seen:
                clashes.append(f"{method} {rule.rule}: {seen[key]} and {rule.endpoint}")
            seen[key] = rule.endpoint
    assert clashes == []
