"""``ownervote init-demo`` and the witness policy: it starts no witness, so the demo's notices
fix the policy of ``--witness URL VKEY`` (or ``OWNERVOTE_WITNESSES``), and none without;
its output says which.  The embedded SQLite default in a test instance folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ledger.keys import generate
from ledger.note import ALG_COSIGNATURE_V1
from ownervote.cli import main

NO_POLICY = "The demo's assemblies have no witness policy"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str | None]:
    return {"OWNERVOTE_ENV": "development", "OWNERVOTE_INSTANCE_DIR": str(tmp_path / "inst"),
            "OWNERVOTE_DATABASE_URL": None, "OWNERVOTE_BASE_URL": None, "OWNERVOTE_DEMO": None,
            "OWNERVOTE_SECRET_KEY": None, "OWNERVOTE_ID_HASH_KEY": None,
            "OWNERVOTE_PII_KEYS": None, "OWNERVOTE_WITNESSES": None,
            "OWNERVOTE_WITNESS_QUORUM": None}


def init_demo(env: dict, *args: str, status: int = 0) -> Result:
    result = CliRunner().invoke(main, ["init-demo", *args], env=env)
    assert result.exit_code == status, result.output + repr(result.exception)
    return result


def policies(tmp_path: Path) -> dict:
    from ownervote.commands.invocation import database
    from ownervote.config import load_settings
    from ownervote.services.demo import witness_policies

    settings = load_settings({"OWNERVOTE_INSTANCE_DIR": str(tmp_path / "inst")})
    with database(settings) as session:
        found = witness_policies(session)
        session.rollback()
    return found


def test_without_a_witness_it_says_there_is_no_policy(env, tmp_path) -> None:
    out = init_demo(env).output
    assert NO_POLICY in out and "--witness URL VKEY" in out
    found = policies(tmp_path)
    assert len(found) == 4 and set(found.values()) == {None}
    assert NO_POLICY in init_demo(env).output  # already loaded: said again


def test_witness_fixes_the_policy_of_every_demo_notice(env, tmp_path) -> None:
    first = generate("first.example/witness", ALG_COSIGNATURE_V1).verifier.vkey
    second = generate("second.example/witness", ALG_COSIGNATURE_V1).verifier.vkey
    out = init_demo(env, "--witness", "http://127.0.0.1:9/", first,
                    "--witness", "https://w2.example/", second).output
    assert ("witness policy of the demo's assemblies: 2 of 2: first.example/witness, "
            "second.example/witness") in out
    assert NO_POLICY not in out
    found = policies(tmp_path)
    assert len(found) == 4
    for policy in found.values():
        assert policy is not None and policy.quorum == 2
        assert sorted(w.vkey for w in policy.witnesses) == sorted([first, second])
    # loaded already: the notices keep their policy, and the command says so
    again = init_demo(env, "--witness", "http://127.0.0.1:9/", first).output
    assert "--witness does not change the assemblies already loaded" in again
    assert "2 of 2" in again


def test_the_environment_names_the_witnesses_too(env, tmp_path) -> None:
    vkey = generate("env.example/witness", ALG_COSIGNATURE_V1).verifier.vkey
    out = init_demo({**env, "OWNERVOTE_WITNESSES": f"http://127.0.0.1:9/ {vkey}"}).output
    assert "witness policy of the demo's assemblies: 1 of 1: env.example/witness" in out


def test_a_bad_witness_is_refused_in_one_line(env, tmp_path) -> None:
    log_key = generate("log.example").verifier.vkey
    result = init_demo(env, "--witness", "http://127.0.0.1:9/", log_key, status=2)
    assert result.stderr.count("\n") == 1 and "--witness" in result.stderr
    assert "not a cosignature/v1" in result.stderr
    assert not (tmp_path / "inst" / "ownervote.sqlite3").exists()
