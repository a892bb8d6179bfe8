"""``ownervote staff``: create (the first administrator in production), list, deactivate,
reset-totp — through the console script on SQLite and PostgreSQL.

The password is read hidden or from standard input, never from the command line; the
TOTP secret is printed once, with an ``otpauth://`` URI; listing shows what the staff
screen shows; every refusal is one line on standard error and exit status 2.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import urllib.parse
from pathlib import Path

import pyotp
import pytest
from click.testing import CliRunner, Result

from identity.pii import PiiCipher
from identity.store import sessions
from identity.store.staff import authenticate, find_staff
from ownervote.cli import main
from ownervote.config import load_settings
from ownervote.db import make_engine, make_session_factory

REGISTRY = Path(__file__).parents[1] / "data" / "registry" / "small.csv"
PASSWORD = "correct-horse-battery"


def _key(n: int) -> str:
    return base64.urlsafe_b64encode(bytes([n]) * 32).decode()


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "OWNERVOTE_ENV": "test",
        "OWNERVOTE_DATABASE_URL": db_url,
        "OWNERVOTE_INSTANCE_DIR": str(tmp_path / "instance"),
        "OWNERVOTE_SECRET_KEY": _key(1),
        "OWNERVOTE_ID_HASH_KEY": _key(2),
        "OWNERVOTE_PII_KEYS": "t1:" + _key(3),
    }


@pytest.fixture
def session(env):  # the database the commands write, as the web would read it
    engine = make_engine(env["OWNERVOTE_DATABASE_URL"])
    with make_session_factory(engine)() as s:
        yield s
    engine.dispose()


def staff(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, ["staff", *args], env=env, input=stdin)


def refused(r: Result, text: str) -> None:
    """Exit status 2, one line on standard error that says ``text``, no traceback."""
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and text in lines[0], r.stderr
    assert "Traceback" not in r.output and isinstance(r.exception, SystemExit)


def secret_of(r: Result) -> str:
    """The TOTP secret printed by create/reset-totp, checked against its otpauth URI."""
    secret = re.search(r"TOTP secret [^:]*: ([A-Z2-7]{32})$", r.stdout, re.M).group(1)
    uri = re.search(r"(otpauth://\S+)", r.stdout).group(1)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(uri).query)
    assert query["secret"] == [secret] and query["issuer"] == ["ownervote"]
    assert r.stdout.count(secret) == 2  # the line and the URI: nowhere else
    return secret


def can_sign_in(session, env, username: str, secret: str, password: str = PASSWORD) -> bool:
    cipher = PiiCipher.from_settings(load_settings(env))
    session.expire_all()  # read what the command wrote
    user = authenticate(session, cipher, username, password, pyotp.TOTP(secret).now())
    session.rollback()
    return user is not None


def test_the_first_administrator_is_created_with_the_password_on_stdin(env, session) -> None:
    r = staff(env, "create", "first-admin", "--role", "admin", "--password-stdin",
              stdin=PASSWORD + "\n")
    assert r.exit_code == 0, r.output
    assert "created admin account first-admin" in r.stdout
    secret = secret_of(r)
    assert PASSWORD not in r.output
    assert can_sign_in(session, env, "first-admin", secret)
    assert not can_sign_in(session, env, "first-admin", secret, "wrong-password-1")


def test_the_password_is_asked_for_hidden_twice_and_never_taken_as_an_option(env,
                                                                             session) -> None:
    r = staff(env, "create", "auditor-1", "--role", "auditor",
              stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert r.exit_code == 0, r.output
    assert PASSWORD not in r.output  # hidden prompt: not echoed
    assert "Repeat for confirmation" in r.stderr
    assert can_sign_in(session, env, "auditor-1", secret_of(r))
    r = staff(env, "create", "auditor-2", "--role", "auditor", "--password", PASSWORD)
    assert r.exit_code == 2 and "No such option" in r.stderr


def test_committee_members_and_supervisors_belong_somewhere(env, session) -> None:
    r = CliRunner().invoke(main, ["registry", "import", str(REGISTRY), "--community", "测试小区"],
                           env=env)
    assert r.exit_code == 0, r.output
    r = staff(env, "create", "委员甲", "--role", "committee", "--community", "测试小区",
              "--password-stdin", stdin=PASSWORD)
    assert r.exit_code == 0, r.output
    r = staff(env, "create", "street-1", "--role", "supervisor", "--district", "菁城街道",
              "--password-stdin", stdin=PASSWORD)
    assert r.exit_code == 0, r.output
    listing = staff(env, "list", "--json")
    assert listing.exit_code == 0, listing.output
    rows = {row["username"]: row for row in json.loads(listing.stdout)}
    assert rows["委员甲"]["community"] == "测试小区" and rows["委员甲"]["district"] is None
    assert rows["street-1"]["district"] == "菁城街道" and rows["street-1"]["community"] is None
    assert set(rows["委员甲"]) == {"username", "role", "community", "district", "created_at",
                                  "active", "deactivated_at"}
    text = staff(env, "list")
    assert text.exit_code == 0 and "测试小区" in text.stdout and "菁城街道" in text.stdout
    user = find_staff(session, "委员甲")
    assert user.community_id is not None
    session.rollback()


@pytest.mark.parametrize(("args", "message"), [
    (["x-1", "--role", "committee"], "belongs to one community"),
    (["x-1", "--role", "committee", "--community", "无此小区"], "no community named '无此小区'"),
    (["x-1", "--role", "supervisor"], "needs the district"),
    (["x-1", "--role", "admin", "--district", "菁城街道"], "only supervisors oversee a district"),
    (["x-1", "--role", "auditor", "--community", "测试小区"], "belong to a community"),
    (["x" * 81, "--role", "admin"], "1-80 characters"),
])
def test_create_refusals_are_one_line(env, args, message) -> None:
    refused(staff(env, "create", *args, "--password-stdin", stdin=PASSWORD), message)


def test_a_short_password_a_taken_name_and_an_empty_stdin_are_refused(env) -> None:
    refused(staff(env, "create", "a-1", "--role", "admin", "--password-stdin", stdin="short\n"),
            "at least 10 characters")
    refused(staff(env, "create", "a-1", "--role", "admin", "--password-stdin", stdin=""),
            "no password")
    assert staff(env, "create", "a-1", "--role", "admin", "--password-stdin",
                 stdin=PASSWORD).exit_code == 0
    refused(staff(env, "create", "a-1", "--role", "admin", "--password-stdin", stdin=PASSWORD),
            "'a-1' is taken")
    r = staff(env, "create", "a-2", "--role", "king", "--password-stdin", stdin=PASSWORD)
    assert r.exit_code == 2 and "Invalid value for '--role'" in r.stderr


def test_deactivate_ends_sessions_and_sign_in(env, session) -> None:
    r = staff(env, "create", "c-1", "--role", "auditor", "--password-stdin", stdin=PASSWORD)
    secret = secret_of(r)
    user = find_staff(session, "c-1")
    sid = sessions.start(session, f"s:{user.id}", dt.timedelta(hours=1))
    session.commit()
    r = staff(env, "deactivate", "c-1")
    assert r.exit_code == 0 and "c-1 can no longer sign in" in r.stdout
    session.expire_all()
    assert not sessions.is_live(session, f"s:{user.id}", sid)
    assert not can_sign_in(session, env, "c-1", secret)
    again = staff(env, "deactivate", "c-1")
    assert again.exit_code == 0 and "already deactivated" in again.stdout
    rows = json.loads(staff(env, "list", "--json").stdout)
    assert rows[0]["active"] is False and rows[0]["deactivated_at"]
    refused(staff(env, "deactivate", "nobody"), "no staff account named 'nobody'")
    refused(staff(env, "reset-totp", "c-1"), "'c-1' is deactivated")


def test_reset_totp_gives_a_new_secret_once_and_ends_sessions(env, session) -> None:
    old = secret_of(staff(env, "create", "c-2", "--role", "admin", "--password-stdin",
                          stdin=PASSWORD))
    user = find_staff(session, "c-2")
    sid = sessions.start(session, f"s:{user.id}", dt.timedelta(hours=1))
    session.commit()
    r = staff(env, "reset-totp", "c-2")
    assert r.exit_code == 0, r.output
    new = secret_of(r)
    assert new != old and "sessions have ended" in r.stdout
    session.expire_all()
    assert not sessions.is_live(session, f"s:{user.id}", sid)
    assert not can_sign_in(session, env, "c-2", old)
    assert can_sign_in(session, env, "c-2", new)
    # the listing never shows a secret
    listing = staff(env, "list", "--json").stdout + staff(env, "list").stdout
    assert new not in listing and old not in listing
    refused(staff(env, "reset-totp", "nobody"), "no staff account named 'nobody'")


def test_an_empty_listing_says_how_to_begin(env) -> None:
    r = staff(env, "list")
    assert r.exit_code == 0 and r.stdout == ""
    assert "ownervote staff create NAME --role admin" in r.stderr
    assert json.loads(staff(env, "list", "--json").stdout) == []
