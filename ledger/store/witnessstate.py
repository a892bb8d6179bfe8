"""A witness's state on disk: the latest cosigned checkpoint per origin, and evidence.

The state directory holds, per origin, ``<sha256(origin)>.json`` (``{"origin", "size",
"root", "checkpoint"}``: the latest checkpoint the witness cosigned, as it was signed)
and ``<sha256(origin)>.lock``.  :meth:`WitnessState.compare_and_persist` holds an
exclusive ``flock`` on the origin's lock file while it reads the record, lets the caller
decide, and writes the new record (temporary file, ``fsync``, ``rename``, ``fsync`` of
the directory) before the lock is released: two racing requests, in one process or in
several, can never roll the stored size back (the race the C2SP tlog-witness text
warns of).  Checkpoints that a trusted log signed but that do not extend the record (a
fork, a bad consistency proof) are kept under ``evidence/`` with the request and why.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from ledger.errors import LedgerError
from ledger.witness import Latest

T = TypeVar("T")


class WitnessStateError(LedgerError):
    """The state directory is unusable or a record in it is damaged."""


def _stem(origin: str) -> str:
    return hashlib.sha256(origin.encode()).hexdigest()


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class WitnessState:
    """The state directory of one witness."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            (self.directory / "evidence").mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise WitnessStateError(f"state directory {self.directory}: {exc}") from exc

    def latest(self, origin: str) -> Latest | None:
        """The record for ``origin`` (no lock: for display only)."""
        return self._read(origin)

    def _read(self, origin: str) -> Latest | None:
        path = self.directory / f"{_stem(origin)}.json"
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise WitnessStateError(f"the record of {origin!r} ({path}) is unreadable") from exc
        try:
            if record["origin"] != origin:
                raise WitnessStateError(f"{path} holds the record of another origin")
            return Latest(int(record["size"]), base64.b64decode(record["root"], validate=True))
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            raise WitnessStateError(f"the record of {origin!r} ({path}) is damaged") from exc

    @contextmanager
    def _locked(self, origin: str) -> Iterator[None]:
        fd = os.open(self.directory / f"{_stem(origin)}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def compare_and_persist(
        self, origin: str,
        decide: Callable[[Latest | None], tuple[T, tuple[int, bytes, str] | None]],
    ) -> T:
        """Under the origin's lock: ``decide(latest)`` returns its answer and, when the
        witness is to cosign, the new record ``(size, root, signed checkpoint)``, which is
        persisted before the lock is released and the answer returned."""
        with self._locked(origin):
            answer, new_record = decide(self._read(origin))
            if new_record is not None:
                size, root, checkpoint = new_record
                record = {"origin": origin, "size": size,
                          "root": base64.b64encode(root).decode(), "checkpoint": checkpoint}
                _write_atomically(self.directory / f"{_stem(origin)}.json",
                                  json.dumps(record, indent=1).encode())
        return answer

    def keep_evidence(self, origin: str, body: bytes, reason: str) -> Path:
        """Keep a validly signed checkpoint that does not extend the record."""
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        digest = hashlib.sha256(body).hexdigest()[:16]
        path = self.directory / "evidence" / f"{_stem(origin)[:16]}-{stamp}-{digest}.txt"
        header = f"origin: {origin}\nrefused: {reason}\n\n".encode()
        _write_atomically(path, header + body)
        return path
