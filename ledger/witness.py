"""A C2SP tlog-witness: the ``add-checkpoint`` request, the witness's checks, its answer.

Pure: no files, no HTTP.  :func:`parse_request` reads the request body; :func:`judge`
applies the checks of https://c2sp.org/tlog-witness in the order the text gives them,
against the witness's record of the latest checkpoint it cosigned for the origin, and
returns either the :class:`Checkpoint` to cosign or a :class:`Refused` answer carrying
the HTTP status the text prescribes.  The storage that makes the compare-and-persist
atomic is :mod:`ledger.store.witnessstate`; the service that ties the two together is
:mod:`ownervote.services.witness`.

Which logs the witness trusts comes from a *logs file* (:func:`parse_trusted_logs`): one
log per line, ``<vkey> [<origin pattern>]``.  An ownervote log signs one checkpoint
stream per assembly, with origins ``<host>/<community>/assembly/<id>`` under one key
named ``<host>/log``, so the default pattern of a key named ``<host>/log`` is the prefix
``<host>/``; any other key's default is the exact origin equal to its name.  A pattern
ending in ``/`` is a prefix; any other pattern is an exact origin.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from enum import StrEnum

from cryptography.exceptions import InvalidSignature

from ledger import merkle
from ledger.errors import LedgerError, NoteError
from ledger.note import Checkpoint, Note, Signature, Signer, Verifier, cosign, parse_note

#: The C2SP text: "The client MUST NOT send more than 63 consistency proof lines."
MAX_PROOF_LINES = 63
#: A request larger than this is refused before it is read (a checkpoint with a few
#: signatures and 63 proof lines is under 8 KiB).
MAX_BODY_BYTES = 64 * 1024
#: ``Content-Type`` of a 409 answer (the C2SP text).
SIZE_CONTENT_TYPE = "text/x.tlog.size"
_OLD_LINE = re.compile(r"old (0|[1-9][0-9]{0,19})")


class Why(StrEnum):
    """Why the witness refused: one code per check of the C2SP text."""

    MALFORMED = "malformed"  # 400: the body is not old line, proof lines, blank, checkpoint
    UNKNOWN_ORIGIN = "unknown_origin"  # 404
    NO_TRUSTED_SIGNATURE = "no_trusted_signature"  # 403
    OLD_AFTER_NEW = "old_after_new"  # 400
    OLD_SIZE_MISMATCH = "old_size_mismatch"  # 409
    ROOT_MISMATCH = "root_mismatch"  # 409: same size, another root (a fork)
    BAD_PROOF = "bad_proof"  # 422


STATUS = {
    Why.MALFORMED: 400,
    Why.UNKNOWN_ORIGIN: 404,
    Why.NO_TRUSTED_SIGNATURE: 403,
    Why.OLD_AFTER_NEW: 400,
    Why.OLD_SIZE_MISMATCH: 409,
    Why.ROOT_MISMATCH: 409,
    Why.BAD_PROOF: 422,
}


class WitnessConfigError(LedgerError):
    """The witness's logs file is unusable (the message names the line)."""


@dataclass(frozen=True)
class AddCheckpoint:
    """A parsed ``add-checkpoint`` body: old size, consistency proof, signed checkpoint."""

    old_size: int
    proof: tuple[bytes, ...]
    note: Note
    checkpoint: Checkpoint


@dataclass(frozen=True)
class Latest:
    """The witness's record for one origin: the latest checkpoint it cosigned."""

    size: int
    root: bytes


@dataclass(frozen=True)
class Refused:
    """A refusal: the HTTP status, the reason (for people and logs) and the body to send.

    ``evidence`` is true when the checkpoint is validly signed by a trusted log but does
    not extend what the witness saw (a fork or a bad proof): the request is kept.
    """

    why: Why
    reason: str
    latest_size: int | None = None
    evidence: bool = False

    @property
    def status(self) -> int:
        return STATUS[self.why]

    @property
    def content_type(self) -> str:
        return SIZE_CONTENT_TYPE if self.status == 409 else "text/plain; charset=utf-8"

    @property
    def body(self) -> str:
        # A 409's body is the size of the latest cosigned checkpoint and a newline.
        return f"{self.latest_size}\n" if self.status == 409 else self.reason + "\n"


@dataclass(frozen=True)
class TrustedLog:
    """A log the witness cosigns for: its verifier key and the origins it signs."""

    verifier: Verifier
    pattern: str

    def covers(self, origin: str) -> bool:
        if self.pattern.endswith("/"):
            return origin.startswith(self.pattern) and len(origin) > len(self.pattern)
        return origin == self.pattern


def default_pattern(key_name: str) -> str:
    """``<host>/`` for an ownervote log key ``<host>/log``; the key name otherwise."""
    return key_name[: -len("log")] if key_name.endswith("/log") else key_name


def parse_trusted_logs(text: str) -> tuple[TrustedLog, ...]:
    """Read a logs file: ``<vkey> [<origin pattern>]`` per line; ``#`` starts a comment."""
    logs = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) > 2:
            raise WitnessConfigError(f"logs file line {number}: expected '<vkey> [<origin>]'")
        try:
            verifier = Verifier.parse(fields[0])
        except NoteError as exc:
            raise WitnessConfigError(f"logs file line {number}: {exc}") from exc
        if verifier.alg != 0x01:
            raise WitnessConfigError(
                f"logs file line {number}: {verifier.name} is not a log (Ed25519 note) key")
        pattern = fields[1] if len(fields) == 2 else default_pattern(verifier.name)
        logs.append(TrustedLog(verifier, pattern))
    if not logs:
        raise WitnessConfigError("the logs file names no log")
    return tuple(logs)


class RequestError(LedgerError):
    """The ``add-checkpoint`` body is malformed (HTTP 400)."""


def parse_request(body: bytes) -> AddCheckpoint:
    """Split the body into the old size line, the proof lines and the signed checkpoint."""
    if len(body) > MAX_BODY_BYTES:
        raise RequestError(f"the request is larger than {MAX_BODY_BYTES} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RequestError("the request is not UTF-8") from exc
    head, blank, rest = text.partition("\n\n")
    if not blank:
        raise RequestError("no empty line before the checkpoint")
    lines = head.split("\n")
    match = _OLD_LINE.fullmatch(lines[0])
    if match is None:
        raise RequestError("the first line must be 'old <size>' (decimal, no leading zero)")
    proof_lines = lines[1:]
    if len(proof_lines) > MAX_PROOF_LINES:
        raise RequestError(f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof = []
    for number, line in enumerate(proof_lines, start=2):
        try:
            digest = base64.b64decode(line, validate=True)
        except binascii.Error as exc:
            raise RequestError(f"line {number}: a proof line must be one base64 hash") from exc
        if len(digest) != 32 or base64.b64encode(digest).decode() != line:
            raise RequestError(f"line {number}: a proof line must be one 32-byte hash")
        proof.append(digest)
    try:
        note = parse_note(rest)
        checkpoint = Checkpoint.parse(note.text)
    except NoteError as exc:
        raise RequestError(f"the checkpoint: {exc}") from exc
    return AddCheckpoint(int(match.group(1)), tuple(proof), note, checkpoint)


def _trusted_signature(note: Note, logs: tuple[TrustedLog, ...]) -> bool:
    """Whether a signature on the note verifies under a trusted key for its origin."""
    for signature in note.signatures:
        for log in logs:
            v = log.verifier
            if signature.name == v.name and signature.key_id == v.key_id:
                try:
                    v.ed25519().verify(signature.signature, note.text.encode())
                except InvalidSignature:  # an unusable signature is ignored, like unknown keys
                    continue
                return True
    return False


def judge(request: AddCheckpoint, logs: tuple[TrustedLog, ...],
          latest: Latest | None) -> Checkpoint | Refused:
    """The checks of the C2SP text, in its order: the checkpoint to cosign, or why not."""
    checkpoint = request.checkpoint
    trusted = tuple(log for log in logs if log.covers(checkpoint.origin))
    if not trusted:
        return Refused(Why.UNKNOWN_ORIGIN, f"unknown origin {checkpoint.origin!r}")
    if not _trusted_signature(request.note, trusted):
        return Refused(Why.NO_TRUSTED_SIGNATURE,
                       "no signature by a log key trusted for this origin verifies")
    if request.old_size > checkpoint.size:
        return Refused(Why.OLD_AFTER_NEW,
                       f"old size {request.old_size} is larger than the checkpoint's "
                       f"{checkpoint.size}")
    known = latest.size if latest is not None else 0
    if request.old_size != known:
        return Refused(Why.OLD_SIZE_MISMATCH,
                       f"old size {request.old_size} is not the latest cosigned size {known}",
                       latest_size=known)
    if request.old_size == 0 and request.proof:
        return Refused(Why.BAD_PROOF, "the proof must be empty when the old size is 0")
    if latest is not None and request.old_size == checkpoint.size:
        if request.proof:
            return Refused(Why.BAD_PROOF, "the proof must be empty for equal sizes",
                           evidence=True)
        if checkpoint.root != latest.root:
            return Refused(Why.ROOT_MISMATCH,
                           f"another root for size {checkpoint.size}: the log forked",
                           latest_size=known, evidence=True)
        return checkpoint
    if latest is not None and request.old_size > 0:
        try:
            merkle.verify_consistency(latest.size, checkpoint.size, latest.root,
                                      checkpoint.root, request.proof)
        except LedgerError as exc:
            return Refused(Why.BAD_PROOF, f"the consistency proof does not verify: {exc}",
                           evidence=True)
    return checkpoint


def cosignature_lines(checkpoint: Checkpoint, signers: tuple[Signer, ...],
                      timestamp: int) -> str:
    """The 200 body: one cosignature/v1 line per witness key, each ending in a newline."""
    signatures: list[Signature] = [cosign(checkpoint.text(), s, timestamp) for s in signers]
    return "".join(s.line() for s in signatures)
