"""An in-memory log with the stored log's entry, checkpoint and bundle formats.

For tests, tools and the benchmark: builds entries exactly as
:mod:`ledger.store.logstore` does (same encoder, same attestations) without a
database, signs checkpoints and writes an audit bundle.  Entries are kept as
bytes in a list, or spooled to a file for very large logs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from ledger import canonical, treemath
from ledger.ballots import key_id as spki_key_id
from ledger.bundle import (
    ASSEMBLY,
    CHECKPOINTS,
    ENTRIES,
    KEYS,
    PRODUCER,
    RESULT,
    ROSTER,
    BundleWriter,
)
from ledger.entries import GENESIS_PREV, encode_entry, entry_hash, signed_message
from ledger.kinds import CLOSED, KEY_ENROLLED, OFFICIAL_ENROLLED, PUBLISHED
from ledger.kinds import RESULT as RESULT_KIND
from ledger.note import Checkpoint, Note, Signer, Verifier, cosign, sign_checkpoint
from ledger.producer import Producer


def attest(signer: Signer, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Body of a log-attested entry (enrolments, revocations)."""
    sig = signer.private_key.sign(signed_message(kind, payload))
    return {"payload": payload, "sig": canonical.b64url(sig)}


class MemLog:
    def __init__(
        self,
        signer: Signer,
        origin: str,
        assembly: dict[str, Any],
        roster: bytes,
        time_ms: int,
        spool: IO[bytes] | None = None,
    ) -> None:
        self.signer, self.origin = signer, origin
        self.assembly, self.roster = assembly, roster
        self.entries: list[bytes] = []
        self.spool = spool
        self.size = 0
        self.prev = GENESIS_PREV
        self.time = time_ms
        self.tree = treemath.CompactRange()
        self.checkpoints: list[Note] = []
        self.result: dict[str, Any] | None = None
        self.append(
            PUBLISHED,
            {
                "origin": origin,
                "assembly": assembly,
                "roster_sha256": hashlib.sha256(roster).hexdigest(),
                "log_key": signer.verifier.vkey,
            },
            time_ms,
        )

    def append(self, kind: str, body: dict[str, Any], time_ms: int | None = None) -> int:
        self.time = max(self.time, time_ms or self.time)
        data = encode_entry(self.size, self.prev, self.time, kind, body)
        self.append_raw(data)
        return self.size - 1

    def append_raw(self, data: bytes) -> None:
        """Append exact bytes (tests use this to plant malformed entries)."""
        if self.spool is not None:
            self.spool.write(data + b"\n")
        else:
            self.entries.append(data)
        self.prev = entry_hash(data)
        self.tree.append(self.prev)
        self.size += 1

    def enroll_official(self, spki: bytes, ref: str, time_ms: int | None = None) -> str:
        kid = spki_key_id(spki)
        payload = {
            "origin": self.origin,
            "official": kid,
            "spki": canonical.b64url(spki),
            "role": "committee",
            "ref": ref,
        }
        self.append(OFFICIAL_ENROLLED, attest(self.signer, OFFICIAL_ENROLLED, payload), time_ms)
        return kid

    def enroll_key(
        self,
        head: str,
        spki: bytes,
        *,
        role: str = "owner",
        agent: str | None = None,
        voter: str = "v1",
        time_ms: int | None = None,
    ) -> str:
        kid = spki_key_id(spki)
        payload = {
            "origin": self.origin,
            "head": head,
            "key": kid,
            "spki": canonical.b64url(spki),
            "role": role,
            "agent": agent,
            "voter": voter,
        }
        self.append(KEY_ENROLLED, attest(self.signer, KEY_ENROLLED, payload), time_ms)
        return kid

    def signed(
        self, kind: str, payload: dict[str, Any], sig: bytes, time_ms: int | None = None
    ) -> int:
        return self.append(kind, {"payload": payload, "sig": canonical.b64url(sig)}, time_ms)

    def close(self, time_ms: int | None = None, reason: str = "deadline") -> int:
        return self.append(CLOSED, {"reason": reason}, time_ms)

    def publish_result(self, result: dict[str, Any], time_ms: int | None = None) -> int:
        self.result = result
        return self.append(RESULT_KIND, {"result": result}, time_ms)

    def checkpoint(self) -> Note:
        note = sign_checkpoint(Checkpoint(self.origin, self.size, self.tree.root()), self.signer)
        if not self.checkpoints or Checkpoint.parse(self.checkpoints[-1].text).size < self.size:
            self.checkpoints.append(note)
        return self.checkpoints[-1]

    def cosign_all(self, witness: Signer, timestamp: int) -> None:
        self.checkpoints = [
            Note(n.text, (*n.signatures, cosign(n.text, witness, timestamp)))
            for n in self.checkpoints
        ]

    def entry_lines(self) -> Iterable[bytes]:
        if self.spool is None:
            for e in self.entries:
                yield e + b"\n"
            return
        self.spool.flush()
        with open(self.spool.name, "rb") as fh:
            while block := fh.read(1 << 22):
                yield block

    def write_bundle(
        self,
        path: Path | str,
        witnesses: Iterable[Verifier] = (),
        producer: Producer | None = None,
    ) -> Path:
        """The audit bundle of the log so far (``producer.json`` only when ``producer``
        is given: the stored log's export names the running ownervote version)."""
        if not self.checkpoints or Checkpoint.parse(self.checkpoints[-1].text).size != self.size:
            self.checkpoint()
        w = BundleWriter(path)
        w.add(
            KEYS,
            canonical.encode(
                {"log": self.signer.verifier.vkey, "witnesses": [v.vkey for v in witnesses]}
            ),
        )
        w.add(ASSEMBLY, canonical.encode(self.assembly))
        w.add(ROSTER, self.roster)
        with w.open(ENTRIES) as fh:
            for chunk in self.entry_lines():
                fh.write(chunk)
        w.add(
            CHECKPOINTS,
            b"".join(canonical.encode({"note": n.serialize()}) + b"\n" for n in self.checkpoints),
        )
        if self.result is not None:
            w.add(RESULT, canonical.encode(self.result))
        if producer is not None:
            w.add(PRODUCER, producer.encode())
        w.finish(self.origin, self.signer)
        return Path(path)
