"""Sign-in and sessions: TOTP second factor, session rotation, sign-out that really ends the
session, deactivation, cookie flags, HSTS, and the demo's one-time-code hint."""

from __future__ import annotations

import base64
import re
from http.cookies import SimpleCookie

import pyotp
import pytest

from tests.support.totp import fresh_code
from tests.support.worlds import PASSWORD, sign_in_as


def _csrf(client, path: str = "/staff/sign-in") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _session_cookie(client) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def _sign_in(client, username: str, secret: str, password: str = PASSWORD, code=None):
    token = _csrf(client)
    return client.post("/staff/sign-in", data={
        "csrf_token": token, "username": username, "password": password,
        "code": code if code is not None else fresh_code(secret)})


@pytest.mark.parametrize("role,home", [("auditor", "/audit/"), ("admin", "/admin/"),
                                       ("supervisor_a", "/supervisor/")])
def test_staff_sign_in_with_totp_lands_on_the_role_home(app, world, role, home) -> None:
    client = app.test_client()
    r = _sign_in(client, f"t-{role}", world.totp[role])
    assert r.status_code == 302 and r.headers["Location"] == home
    assert client.get(home).status_code == 200


@pytest.mark.parametrize("field", ["password", "code", "username"])
def test_a_wrong_factor_is_refused_without_saying_which(app, world, field) -> None:
    client = app.test_client()
    wrong = {"password": {"password": "wrong password!"},
             "code": {"code": "000000" if fresh_code(world.totp["auditor"]) != "000000"
                      else "111111"},
             "username": {}}[field]
    username = "nobody-here" if field == "username" else "t-auditor"
    r = _sign_in(client, username, world.totp["auditor"], **wrong)
    assert r.status_code == 200  # the form again, with the message
    assert "用户名、密码或动态验证码不正确" in r.get_data(as_text=True)
    assert client.get("/audit/assemblies/1/bundle.zip").status_code == 401


def test_session_is_rotated_at_sign_in_and_dead_after_sign_out(app, world) -> None:
    client = app.test_client()
    client.get("/staff/sign-in")
    before = _session_cookie(client)
    assert before  # the CSRF token lives in the session
    r = _sign_in(client, "t-admin", world.totp["admin"])
    assert r.status_code == 302
    signed_in = _session_cookie(client)
    assert signed_in and signed_in != before
    assert client.get("/admin/").status_code == 200

    # The pre-sign-in cookie never becomes a signed-in session (no fixation).
    planted = app.test_client()
    planted.set_cookie("session", before)
    assert planted.get("/admin/").status_code == 401

    # Sign out, then replay the signed-in cookie: it no longer works.
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/admin/").get_data(as_text=True)).group(1)
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302
    assert client.get("/admin/").status_code == 401
    thief = app.test_client()
    thief.set_cookie("session", signed_in)
    assert thief.get("/admin/").status_code == 401


def test_an_owners_remember_cookie_dies_with_sign_out(app, world) -> None:
    from identity.store.models import OwnerAccount
    from web.access import public
    from web.auth import sign_in_account
    from web.database import db

    @public
    def _owner_signs_in():  # stands in for the owner flow's verification step
        sign_in_account(db().get(OwnerAccount, world.owner_account_id))
        return "ok"

    app.add_url_rule("/_test/owner-sign-in", view_func=_owner_signs_in)
    client = app.test_client()
    client.get("/_test/owner-sign-in")
    remember = client.get_cookie("remember_token")
    assert remember is not None
    bundle = f"/audit/assemblies/{world.a.assembly_id}/bundle.zip"
    assert client.get(bundle).status_code == 200

    # Only the remember-me cookie (browser closed and reopened): still signed in.
    reopened = app.test_client()
    reopened.set_cookie("remember_token", remember.value)
    assert reopened.get(bundle).status_code == 200

    token = _csrf(client, f"/audit/assemblies/{world.a.assembly_id}")
    r = client.post("/sign-out", data={"csrf_token": token})
    assert "remember_token=;" in "".join(r.headers.getlist("Set-Cookie"))
    stale = app.test_client()
    stale.set_cookie("remember_token", remember.value)
    assert stale.get(bundle).status_code == 401


def test_deactivation_ends_sessions_and_sign_in(app, world) -> None:
    member = app.test_client()
    assert _sign_in(member, "t-committee_a", world.totp["committee_a"]).status_code == 302
    bundle = f"/audit/assemblies/{world.a.assembly_id}/bundle.zip"
    assert member.get(bundle).status_code == 200

    admin = app.test_client()
    sign_in_as(admin, app, world.principal("admin"))
    token = _csrf(admin, "/admin/staff")
    r = admin.post(f"/admin/staff/{world.staff['committee_a']}/deactivate",
                   data={"csrf_token": token})
    assert r.status_code == 302
    assert "t-committee_a 已不能再登录" in admin.get("/admin/staff").get_data(as_text=True)
    assert member.get(bundle).status_code == 401
    refused = _sign_in(app.test_client(), "t-committee_a", world.totp["committee_a"])
    assert refused.status_code == 200 and "动态验证码不正确" in refused.get_data(as_text=True)

    # An administrator cannot lock themselves out.
    admin.post(f"/admin/staff/{world.staff['admin']}/deactivate", data={"csrf_token": token})
    assert admin.get("/admin/").status_code == 200


def test_a_forged_or_sessionless_user_id_is_not_accepted(app, world) -> None:
    from flask_login.utils import _create_identifier

    client = app.test_client()
    with app.test_request_context(environ_base=client.environ_base):
        ident = _create_identifier()
    for user_id in (f"s:{world.staff['admin']}", f"s:{world.staff['admin']}:made-up",
                    f"a:{world.owner_account_id}:"):
        with client.session_transaction() as sess:
            sess.update({"_user_id": user_id, "_fresh": True, "_id": ident})
        assert client.get("/admin/").status_code == 401


def _set_cookies(response) -> dict[str, str]:
    out = {}
    for header in response.headers.getlist("Set-Cookie"):
        name = header.split("=", 1)[0]
        out[name] = header
    return out


def test_cookie_flags_in_test_mode(client) -> None:
    cookies = _set_cookies(client.get("/staff/sign-in"))
    session = cookies["session"]
    assert "HttpOnly" in session and "SameSite=Lax" in session and "Secure" not in session
    lang = _set_cookies(client.get("/lang/en?next=/"))["lang"]
    assert "HttpOnly" in lang and "SameSite=Lax" in lang


@pytest.fixture
def production_app(ov_settings):
    import dataclasses

    from web import create_app

    settings = dataclasses.replace(ov_settings, env="production")
    application = create_app(settings, TESTING=True, RATELIMIT_ENABLED=False,
                             OWNERVOTE_DEMO=True)
    yield application
    application.extensions["ownervote.engine"].dispose()


def test_production_cookies_are_secure_and_hsts_only_behind_tls(production_app) -> None:
    client = production_app.test_client()
    plain = client.get("/staff/sign-in")
    assert "Strict-Transport-Security" not in plain.headers
    tls = client.get("/staff/sign-in", headers={"X-Forwarded-Proto": "https"})
    assert tls.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    session = _set_cookies(tls)["session"]
    assert "Secure" in session and "HttpOnly" in session and "SameSite=Lax" in session
    lang = _set_cookies(client.get("/lang/en?next=/"))["lang"]
    assert "Secure" in lang
    parsed = SimpleCookie()
    parsed.load(session)
    assert parsed["session"]["httponly"] and parsed["session"]["secure"]


def _demo_staff(session, ov_settings) -> dict[str, str]:
    from identity.pii import PiiCipher
    from identity.store.staff import create_staff
    from ownervote.demo import STAFF

    secrets = {}
    cipher = PiiCipher.from_settings(ov_settings)
    for role, username, password in STAFF:
        if role == "committee":
            continue  # needs a community; the others are enough here
        _user, secret = create_staff(session, cipher, username=username, password=password,
                                     role=role, district="菁城街道")
        secrets[username] = secret
    session.commit()
    return secrets


def test_demo_hint_shows_current_codes_only_in_demo_mode(app, session, ov_settings,
                                                         monkeypatch) -> None:
    secrets = _demo_staff(session, ov_settings)
    monkeypatch.delenv("OWNERVOTE_DEMO", raising=False)
    html = app.test_client().get("/staff/sign-in").get_data(as_text=True)
    assert "仅限演示" not in html

    monkeypatch.setenv("OWNERVOTE_DEMO", "1")
    html = app.test_client().get("/staff/sign-in").get_data(as_text=True)
    assert "仅限演示" in html
    for username, secret in secrets.items():
        totp = pyotp.TOTP(secret)
        row = re.search(re.escape(username) + r'</td><td class="code">(\d{6})</td>', html)
        assert row and totp.verify(row.group(1), valid_window=1)
    assert not any(s in html for s in secrets.values())  # codes, never the secrets


def test_demo_hint_never_in_production(production_app, session, ov_settings,
                                       monkeypatch) -> None:
    _demo_staff(session, ov_settings)
    monkeypatch.setenv("OWNERVOTE_DEMO", "1")
    html = production_app.test_client().get("/staff/sign-in").get_data(as_text=True)
    assert "仅限演示" not in html and 'class="code"' not in html


def test_demo_hint_skips_accounts_that_are_not_the_demos(app, world, monkeypatch) -> None:
    monkeypatch.setenv("OWNERVOTE_DEMO", "1")
    html = app.test_client().get("/staff/sign-in").get_data(as_text=True)
    assert "t-admin" not in html and 'class="code"' not in html


def test_sign_out_needs_the_csrf_token(app, world) -> None:
    client = app.test_client()
    sign_in_as(client, app, world.principal("auditor"))
    assert client.post("/sign-out").status_code == 400
    assert client.get("/supervisor/").status_code == 200


def test_session_records_expire_and_end(session) -> None:
    import datetime as dt

    from identity.store import sessions

    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    sid = sessions.start(session, "s:7", dt.timedelta(hours=12), now=now)
    other = sessions.start(session, "s:7", dt.timedelta(hours=12), now=now)
    assert len(base64.urlsafe_b64decode(sid + "=" * (-len(sid) % 4))) == 32
    assert sessions.is_live(session, "s:7", sid, now=now + dt.timedelta(hours=11))
    assert not sessions.is_live(session, "s:7", sid, now=now + dt.timedelta(hours=12))
    assert not sessions.is_live(session, "s:8", sid, now=now)  # another principal's id
    assert not sessions.is_live(session, "s:7", "x" * 43, now=now)
    sessions.end(session, sid, now=now)
    assert not sessions.is_live(session, "s:7", sid, now=now)
    assert sessions.is_live(session, "s:7", other, now=now)
    assert sessions.end_all(session, "s:7", "deactivated", now=now) == 1
    assert not sessions.is_live(session, "s:7", other, now=now)


def test_signing_in_as_someone_else_ends_the_previous_session(app, world) -> None:
    client = app.test_client()
    assert _sign_in(client, "t-auditor", world.totp["auditor"]).status_code == 302
    auditor_cookie = _session_cookie(client)
    assert _sign_in(client, "t-admin", world.totp["admin"]).status_code == 302
    assert client.get("/admin/").status_code == 200
    replay = app.test_client()
    replay.set_cookie("session", auditor_cookie)
    assert replay.get("/supervisor/").status_code == 401


def test_repeated_failures_lock_the_user_name_and_say_until_when(app, world) -> None:
    for n in range(10):  # from any addresses: the count is the user name's
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"203.0.113.{n + 1}"
        r = _sign_in(client, "t-auditor", world.totp["auditor"], password="wrong password!",
                     code="123456")  # no real code used up: fresh_code would wait for steps
        assert "用户名、密码或动态验证码不正确" in r.get_data(as_text=True)
    r = _sign_in(app.test_client(), "t-auditor", world.totp["auditor"])
    assert r.status_code == 200  # the right password and code: refused while locked
    html = r.get_data(as_text=True)
    assert "该用户名登录失败次数过多" in html and "请管理员重置其动态验证码" in html
    assert _sign_in(app.test_client(), "t-admin", world.totp["admin"]).status_code == 302
