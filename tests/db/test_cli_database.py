"""Commands on a database whose schema is not at the head, and ``--help`` for every command.

* the embedded SQLite default (no ``OWNERVOTE_DATABASE_URL``) is upgraded by the first
  command that opens it, which says so in one line on standard error;
* any other database — a SQLite file named by URL, a PostgreSQL database — is left alone:
  one line saying what is wrong and to run ``ownervote db upgrade``, exit status 2;
* ``ownervote db upgrade`` / ``db current`` go through the same service;
* every command and subcommand ``ownervote --help`` lists answers ``--help``.
"""

from __future__ import annotations

import base64
import json
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from ownervote.cli import main

REGISTRY = Path(__file__).parents[1] / "data" / "registry" / "small.csv"


def _key(n: int) -> str:
    return base64.urlsafe_b64encode(bytes([n]) * 32).decode()


def environment(tmp_path: Path, url: str | None) -> dict[str, str]:
    env = {
        "OWNERVOTE_ENV": "test",
        "OWNERVOTE_INSTANCE_DIR": str(tmp_path / "instance"),
        "OWNERVOTE_SECRET_KEY": _key(1),
        "OWNERVOTE_ID_HASH_KEY": _key(2),
        "OWNERVOTE_PII_KEYS": "t1:" + _key(3),
        "OWNERVOTE_DATABASE_URL": url,  # None: unset (CliRunner removes it)
    }
    return env


def run(env: dict, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def import_registry(env: dict) -> Result:
    return run(env, "registry", "import", str(REGISTRY), "--community", "测试小区")


def refused_with_one_line(r: Result, *phrases: str) -> str:
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output and isinstance(r.exception, SystemExit)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    return lines[0]


def test_a_fresh_sqlite_file_given_by_url_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "fresh.sqlite3"
    env = environment(tmp_path, f"sqlite:///{path}")
    line = refused_with_one_line(import_registry(env), str(path), "ownervote db upgrade")
    assert line.startswith("ownervote registry import: there is no database at")
    assert not path.exists()  # nothing was created behind the operator's back
    sqlite3.connect(path).close()  # an empty file: there, but no schema
    refused_with_one_line(import_registry(env), "has no ownervote schema", "ownervote db upgrade")
    for args in (("staff", "list"), ("assembly", "list"), ("registry", "versions",
                                                           "--community", "测试小区"),
                 ("keys", "rotate-pii"), ("bundle", "export", "--assembly", "1", "--out",
                                          str(tmp_path / "b.zip")),
                 ("assembly", "checkpoint", "--all"), ("db", "current")):
        refused_with_one_line(run(env, *args), "ownervote db upgrade")

    r = run(env, "db", "upgrade")
    assert r.exit_code == 0 and "is at revision" in r.stdout and "(head)" in r.stdout, r.output
    assert run(env, "db", "current").exit_code == 0
    r = import_registry(env)
    assert r.exit_code == 0 and "stored as roster version 1" in r.stdout, r.output


def test_a_database_behind_the_head_is_refused_until_upgraded(tmp_path: Path) -> None:
    env = environment(tmp_path, f"sqlite:///{tmp_path / 'old.sqlite3'}")
    r = run(env, "db", "upgrade", "--revision", "0003")
    assert r.exit_code == 0, r.output
    refused_with_one_line(run(env, "staff", "list"), "at schema revision 0003, not ",
                          "ownervote db upgrade")
    assert run(env, "db", "upgrade").exit_code == 0
    assert run(env, "staff", "list").exit_code == 0


def test_the_embedded_default_is_upgraded_by_the_first_command(tmp_path: Path) -> None:
    env = environment(tmp_path, None)
    r = import_registry(env)
    assert r.exit_code == 0, r.output
    assert "stored as roster version 1" in r.stdout
    notes = [line for line in r.stderr.splitlines() if "schema revision" in line]
    assert len(notes) == 1 and str(tmp_path / "instance" / "ownervote.sqlite3") in notes[0]
    assert "was created to schema revision" in notes[0]
    again = run(env, "registry", "versions", "--community", "测试小区")
    assert again.exit_code == 0 and "schema revision" not in again.stderr
    assert len(again.stdout.strip().splitlines()) == 1


def test_the_embedded_default_behind_the_head_is_upgraded(tmp_path: Path) -> None:
    from ownervote.services.database import upgrade

    (tmp_path / "instance").mkdir()
    upgrade(f"sqlite:///{tmp_path / 'instance' / 'ownervote.sqlite3'}", "0002")
    r = run(environment(tmp_path, None), "staff", "list", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout) == []
    assert "was upgraded from schema revision 0002 to schema revision" in r.stderr


def test_a_postgresql_database_without_tables_is_refused(tmp_path: Path) -> None:
    from tests.support.postgres import PostgresUnavailable, create_database, server_url

    try:
        server = server_url()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    url, drop = create_database(server, tag="empty_")
    try:
        env = environment(tmp_path, url)
        line = refused_with_one_line(import_registry(env), "has no ownervote schema",
                                     "ownervote db upgrade")
        assert "ownervote_test_empty_" in line
        refused_with_one_line(run(env, "serve", "--port", "1"), "ownervote db upgrade")
        r = run(env, "db", "upgrade")
        assert r.exit_code == 0, r.output
        assert import_registry(env).exit_code == 0
    finally:
        drop()


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = environment(tmp_path, f"postgresql+psycopg://someone:secret-pw@127.0.0.1:{port}/gone")
    line = refused_with_one_line(run(env, "staff", "list"), "cannot reach the database")
    assert "secret-pw" not in line


def _walk(group: click.Group, ctx: click.Context, path: list[str]) -> list[list[str]]:
    found = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, f"{' '.join(path + [name])} is listed but cannot be loaded"
        found.append([*path, name])
        if isinstance(command, click.Group):
            found += _walk(command, click.Context(command, parent=ctx, info_name=name),
                           [*path, name])
    return found


def test_every_command_listed_answers_help() -> None:
    ctx = click.Context(main, info_name="ownervote")
    commands = _walk(main, ctx, [])
    listed = CliRunner().invoke(main, ["--help"]).output
    top = [c[0] for c in commands if len(c) == 1]
    assert all(name in listed for name in top)
    assert {"staff", "db", "registry"} <= set(top)
    assert ["staff", "reset-totp"] in commands and ["db", "upgrade"] in commands
    runner = CliRunner()
    for words in commands:
        r = runner.invoke(main, [*words, "--help"])
        assert r.exit_code == 0, f"ownervote {' '.join(words)} --help: {r.output}"
        assert "Usage:" in r.output


def test_staff_help_from_the_console_script() -> None:
    done = subprocess.run([sys.executable, "-m", "ownervote.cli", "staff", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for sub in ("create", "list", "deactivate", "reset-totp"):
        assert sub in done.stdout
