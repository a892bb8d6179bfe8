"""End to end through the console script: publish, cast, close, export, verify, list."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ledger.keys import write_key_file
from ledger.note import parse_note
from ledger.store import checkpoints, committee, enrolment, logstore, writer
from ledger.store.logstore import begin_write
from ledger.store.publish import publish_assembly, published
from ownervote.cli import main
from tests.support.sample_log import (
    CLOSES,
    DURING,
    LOG_SIGNER,
    WITNESS,
    device,
    make_assembly,
    signed_ballot,
)
from voting.tally import tally


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> dict[str, str]:
    key_file = tmp_path / "log.key"
    write_key_file(key_file, LOG_SIGNER)
    return {
        "OWNERVOTE_DATABASE_URL": db_url,
        "OWNERVOTE_LOG_KEY_FILE": str(key_file),
        "OWNERVOTE_INSTANCE_DIR": str(tmp_path / "instance"),
        "OWNERVOTE_ENV": "test",
    }


def run_assembly(session) -> int:
    aid = make_assembly(session)
    session.commit()
    begin_write(session)
    publish_assembly(session, aid, LOG_SIGNER, None, now=DURING - dt.timedelta(days=3))
    checkpoints.add_witness(session, WITNESS.verifier.vkey)
    session.commit()
    origin = logstore.get_head(session, aid).origin
    adef, roster = published(session, aid)
    session.commit()
    for n, head in enumerate(sorted(roster.heads)):
        begin_write(session)
        k, der, _ = device()
        enrolment.enroll_key(session, aid, LOG_SIGNER, head, der, voter=f"v{n}", now=DURING)
        for seq, choice in enumerate(["agree", "oppose"][: 1 + n % 2], start=1):
            payload, sig = signed_ballot(origin, head, k, seq, {"1": choice, "2": ["甲"]})
            writer.cast_ballot(session, aid, payload, sig, now=DURING)
        row = checkpoints.issue_checkpoint(session, aid, LOG_SIGNER)
        session.commit()
    from ledger.note import cosign

    begin_write(session)
    checkpoints.add_cosignature(
        session, aid, row.size, cosign(parse_note(row.note).text, WITNESS, 1_772_400_000).line()
    )
    committee.append_closing(session, aid, now=CLOSES)
    result = tally(roster, adef.items.values(), writer.counted_votes(session, aid), adef.settings)
    committee.publish_result(session, aid, result.to_json(), now=CLOSES + dt.timedelta(hours=1))
    session.commit()
    return aid


def test_export_verify_and_list(session, env, tmp_path: Path) -> None:
    aid = run_assembly(session)
    runner = CliRunner()
    out = tmp_path / "a.zip"
    r = runner.invoke(
        main, ["bundle", "export", "--assembly", str(aid), "--out", str(out)], env=env
    )
    assert r.exit_code == 0, r.output
    summary = json.loads(r.output.strip().splitlines()[-1])
    assert summary["result"] and summary["witnesses"] == [WITNESS.name]

    r = runner.invoke(
        main,
        ["verify", str(out), "--json", "--workers", "1", "--log-key", LOG_SIGNER.verifier.vkey],
    )
    report = json.loads(r.output)
    assert r.exit_code == 0 and report["valid"], r.output
    assert report["ballots"] == 6 and report["result_published"] and report["witnesses"]

    r = runner.invoke(main, ["assembly", "list", "--json"], env=env)
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert [(x["id"], x["title"], x["status"]) for x in rows] == [
        (aid, "2026年第一次业主大会", "notice")
    ]
    assert rows[0]["log_closed"] is True and rows[0]["ballot_secrecy"] == "open"

    # a different trusted key: invalid (1); garbage file: unreadable (2)
    from ledger.keys import generate

    other = generate(LOG_SIGNER.name).verifier.vkey
    r = runner.invoke(main, ["verify", str(out), "--workers", "1", "--log-key", other])
    assert r.exit_code == 1 and "FAIL log key" in r.output
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    assert runner.invoke(main, ["verify", str(bad)]).exit_code == 2


def test_verify_imports_neither_flask_nor_database(tmp_path: Path) -> None:
    from ledger import synthetic

    log = synthetic.build(LOG_SIGNER, heads=6, ballots=8)
    path = log.write_bundle(tmp_path / "s.zip")
    code = (
        "import sys\n"
        "from ownervote.cli import main\n"
        "try:\n"
        f"    main(['verify', {str(path)!r}, '--workers', '2'])\n"
        "except SystemExit as e:\n"
        "    bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('flask', 'sqlalchemy', 'psycopg', 'web', 'alembic') or m == 'ownervote.db')\n"
        "    print(e.code, bad)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "0 []"


def test_witness_cosigns_with_key_file(tmp_path: Path) -> None:
    from ledger import merkle
    from ledger.note import Checkpoint, sign_checkpoint, verify_cosignature

    runner = CliRunner()
    key = tmp_path / "w.key"
    r = runner.invoke(
        main, ["keys", "witness-new", "--name", "street.example/w", "--out", str(key)]
    )
    assert r.exit_code == 0 and oct(key.stat().st_mode & 0o777) == "0o600"
    vkey = r.output.strip()
    entries = [b"a", b"b", b"c"]
    old = sign_checkpoint(Checkpoint("o/x/assembly/1", 2, merkle.root(entries[:2])), LOG_SIGNER)
    new = sign_checkpoint(Checkpoint("o/x/assembly/1", 3, merkle.root(entries)), LOG_SIGNER)
    (tmp_path / "old").write_text(old.serialize())
    (tmp_path / "new").write_text(new.serialize())
    (tmp_path / "proof").write_text(
        "\n".join(h.hex() for h in merkle.consistency_proof(entries, 2))
    )
    args = [
        "keys",
        "cosign",
        "--key",
        str(key),
        "--log-key",
        LOG_SIGNER.verifier.vkey,
        "--previous",
        str(tmp_path / "old"),
        "--time",
        "1772400000",
    ]
    r = runner.invoke(main, [*args, "--proof", str(tmp_path / "proof"), str(tmp_path / "new")])
    assert r.exit_code == 0, r.output
    sig = parse_note(new.text + "\n" + r.output).signatures[0]
    from ledger.note import Verifier

    assert verify_cosignature(new.text, sig, Verifier.parse(vkey)) == 1772400000
    (tmp_path / "proof").write_text(bytes(32).hex())
    r = runner.invoke(main, [*args, "--proof", str(tmp_path / "proof"), str(tmp_path / "new")])
    assert r.exit_code == 1 and "refusing" in r.output


def test_keys_show_rotate_and_rotate_pii(env, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {
        **env,
        "OWNERVOTE_LOG_KEY_FILE": str(tmp_path / "new" / "log.key"),
        "OWNERVOTE_BASE_URL": "https://vote.example.cn",
    }
    first = runner.invoke(main, ["keys", "show"], env=env)
    assert first.exit_code == 0 and first.output.startswith("vote.example.cn/log+")
    assert (tmp_path / "new" / "log.key").stat().st_mode & 0o077 == 0
    rotated = runner.invoke(main, ["keys", "rotate-log"], env=env)
    assert rotated.exit_code == 0 and "retired key kept" in rotated.output
    assert rotated.output.strip().splitlines()[-1] != first.output.strip()
    r = runner.invoke(main, ["keys", "rotate-pii"], env=env)
    assert r.exit_code == 0, r.output
