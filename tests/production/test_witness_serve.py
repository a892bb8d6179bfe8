"""``ownervote witness serve``: a real witness process answers the C2SP protocol."""

from __future__ import annotations

import subprocess
import sys

from ledger.note import parse_note, verify_cosignature
from tests.support.servers import ROOT
from tests.support.witnessing import ToyLog, WitnessProcess, witness_key, write_witness_files


def test_witness_serve_cosigns_and_keeps_its_state(tmp_path) -> None:
    log = ToyLog()
    log.grow(5)
    key = witness_key()
    paths = write_witness_files(tmp_path, log, key)
    witness = WitnessProcess(*paths, tmp_path / "witness.log")
    try:
        status, _type, body = witness.post(log.body(0))
        assert status == 200
        note = parse_note(log.signed() + body.decode())
        verify_cosignature(note.text, note.signatures[1], key.verifier)
        log.grow(2)
        assert witness.post(log.body(0))[:3] == (409, "text/x.tlog.size", b"5\n")
    finally:
        witness.stop()
    witness = WitnessProcess(*paths, tmp_path / "witness-2.log")  # restarted
    try:
        assert witness.post(log.body(5))[0] == 200
    finally:
        witness.stop()


def test_witness_serve_refuses_a_log_key_as_its_own_key(tmp_path) -> None:
    log = ToyLog()
    paths = write_witness_files(tmp_path, log, key=log.signer)
    result = subprocess.run(
        [sys.executable, "-m", "ownervote.cli", "witness", "serve", "--key", str(paths[0]),
         "--logs", str(paths[1]), "--state", str(paths[2])],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "not a witness" in result.stderr and "Traceback" not in result.stderr
