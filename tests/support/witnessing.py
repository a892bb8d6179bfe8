"""A small log and the add-checkpoint bodies a log sends a witness (C2SP tlog-witness)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from ledger import merkle
from ledger.keys import generate
from ledger.note import ALG_COSIGNATURE_V1, Checkpoint, Signer, sign_checkpoint

HOST = "vote.example"
ORIGIN = f"{HOST}/sunny-garden/assembly/1"


@dataclass
class ToyLog:
    """A log of ``entries`` signed by ``signer`` under ``origin``."""

    signer: Signer = field(default_factory=lambda: generate(f"{HOST}/log"))
    origin: str = ORIGIN
    entries: list[bytes] = field(default_factory=list)

    def grow(self, n: int) -> None:
        start = len(self.entries)
        self.entries += [f"entry {i}".encode() for i in range(start, start + n)]

    def checkpoint(self, size: int | None = None) -> Checkpoint:
        size = len(self.entries) if size is None else size
        return Checkpoint(self.origin, size, merkle.root(self.entries[:size]))

    def signed(self, size: int | None = None) -> str:
        return sign_checkpoint(self.checkpoint(size), self.signer).serialize()

    def body(self, old: int, size: int | None = None, proof: list[bytes] | None = None) -> bytes:
        size = len(self.entries) if size is None else size
        if proof is None:
            proof = merkle.consistency_proof(self.entries[:size], old)
        lines = [f"old {old}"] + [base64.b64encode(h).decode() for h in proof]
        return ("\n".join(lines) + "\n\n" + self.signed(size)).encode()


def witness_key(name: str = "street-office.example/witness") -> Signer:
    return generate(name, ALG_COSIGNATURE_V1)


def write_witness_files(directory, log: ToyLog | None = None, key: Signer | None = None,
                        logs_text: str | None = None):
    """Key file, logs file and state directory of a witness in ``directory``."""
    from pathlib import Path

    from ledger.keys import write_key_file

    directory = Path(directory)
    key = key or witness_key()
    key_file = directory / "witness.key"
    write_key_file(key_file, key)
    logs_file = directory / "logs.txt"
    if logs_text is None:
        assert log is not None
        logs_text = log.signer.verifier.vkey + "\n"
    logs_file.write_text(logs_text)
    return key_file, logs_file, directory / "state"


class WitnessProcess:
    """``ownervote witness serve`` in a subprocess on a free port of 127.0.0.1."""

    def __init__(self, key_file, logs_file, state_dir, log_path) -> None:
        import subprocess
        import sys

        from tests.support.servers import ROOT, free_port, wait_until_serving

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = open(log_path, "wb")  # the child writes to it
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ownervote.cli", "witness", "serve", "--key", str(key_file),
             "--logs", str(logs_file), "--state", str(state_dir), "--port", str(self.port)],
            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        try:
            wait_until_serving(self.url + "/", self.process, timeout=30, log=log_path)
        except BaseException:
            self.stop()
            raise

    def post(self, body: bytes) -> tuple[int, str, bytes]:
        """POST /add-checkpoint: status, content type, body."""
        import urllib.error
        import urllib.request

        request = urllib.request.Request(self.url + "/add-checkpoint", data=body, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, answer.headers["Content-Type"], answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers["Content-Type"], error.read()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except Exception:  # noqa: BLE001 - a witness that ignores SIGTERM is killed
            self.process.kill()
        self._log.close()
