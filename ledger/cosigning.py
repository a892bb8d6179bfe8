"""The log's side of the C2SP tlog-witness protocol: which witnesses, what to send them,
how to read their answers, and when to try again.

Pure: the service (:mod:`ownervote.services.witnessing`) does the HTTP and the storage.

* ``OWNERVOTE_WITNESSES`` lists the witnesses a log asks (:func:`parse_witness_list`):
  ``<submission URL prefix> <cosignature/v1 vkey>`` per witness, separated by ``;`` or
  newlines; the log POSTs to ``<prefix>/add-checkpoint``;
* :func:`request_body` is the body: ``old <size>``, the consistency proof lines (base64),
  an empty line and the signed checkpoint;
* :func:`read_size` reads a 409 answer (``text/x.tlog.size``), :func:`read_cosignatures`
  keeps the valid cosignature lines of a 200 answer by the witness asked (lines by
  other keys are ignored, as the C2SP text requires of clients);
* :func:`retry_delay` is the back-off after failed attempts: 30 s, doubling, at most an
  hour.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from ledger.errors import CosignatureError, EncodingError, LedgerError, NoteError
from ledger.note import ALG_COSIGNATURE_V1, Signature, Verifier, parse_note, verify_cosignature
from ledger.witnesspolicy import WitnessPolicy, policy_for

FIRST_RETRY_SECONDS = 30
LONGEST_RETRY_SECONDS = 3600
#: How long an attempt is leased to one worker (several workers run the timer).
LEASE_SECONDS = 60
_SIZE_ANSWER = re.compile(r"(0|[1-9][0-9]{0,19})\n")


class WitnessListError(LedgerError):
    """``OWNERVOTE_WITNESSES`` is malformed (the message names the entry)."""


@dataclass(frozen=True)
class WitnessEndpoint:
    """A witness the log asks for cosignatures: where, and its cosigning key."""

    url: str  # the submission prefix
    verifier: Verifier

    @property
    def add_checkpoint_url(self) -> str:
        return self.url.rstrip("/") + "/add-checkpoint"


def parse_witness_list(text: str) -> tuple[WitnessEndpoint, ...]:
    entries = [e.strip() for e in re.split(r"[;\n]", text) if e.strip()]
    witnesses = []
    for number, entry in enumerate(entries, start=1):
        fields = entry.split()
        if len(fields) != 2:
            raise WitnessListError(
                f"OWNERVOTE_WITNESSES entry {number}: expected '<URL> <witness vkey>'")
        url, vkey = fields
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise WitnessListError(
                f"OWNERVOTE_WITNESSES entry {number}: {url!r} is not an http(s) URL")
        try:
            verifier = Verifier.parse(vkey)
        except NoteError as exc:
            raise WitnessListError(f"OWNERVOTE_WITNESSES entry {number}: {exc}") from exc
        if verifier.alg != ALG_COSIGNATURE_V1:
            raise WitnessListError(f"OWNERVOTE_WITNESSES entry {number}: {verifier.name} is "
                                   "not a cosignature/v1 (witness) key")
        witnesses.append(WitnessEndpoint(url, verifier))
    names = [w.verifier.name for w in witnesses]
    if len(set(names)) != len(names):
        raise WitnessListError("OWNERVOTE_WITNESSES names a witness twice")
    return tuple(witnesses)


def configured_policy(witnesses: str, quorum: int | None) -> WitnessPolicy | None:
    """The witness policy a log published now gets from ``OWNERVOTE_WITNESSES`` and
    ``OWNERVOTE_WITNESS_QUORUM`` (:func:`ledger.witnesspolicy.policy_for`)."""
    keys = tuple(w.verifier for w in parse_witness_list(witnesses))
    try:
        return policy_for(keys, quorum)
    except EncodingError as exc:
        raise WitnessListError(f"OWNERVOTE_WITNESS_QUORUM: {exc}") from None


def request_body(old_size: int, proof: Sequence[bytes], signed_checkpoint: str) -> bytes:
    lines = [f"old {old_size}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n\n" + signed_checkpoint).encode()


def read_size(body: bytes) -> int:
    """The witness's latest size from a 409 answer."""
    match = _SIZE_ANSWER.fullmatch(body.decode("ascii", errors="replace"))
    if match is None:
        raise CosignatureError("the witness's 409 answer is not a tree size")
    return int(match.group(1))


def read_cosignatures(body: bytes, signed_checkpoint: str,
                      witness: Verifier) -> tuple[Signature, ...]:
    """The valid cosignatures by ``witness`` in a 200 answer (other keys' lines ignored)."""
    try:
        text = body.decode("utf-8")
        note = parse_note(signed_checkpoint + text)
    except (UnicodeDecodeError, NoteError) as exc:
        raise CosignatureError(f"the witness's answer is not note signature lines: {exc}") \
            from exc
    found = []
    for signature in note.signatures:
        if signature.name == witness.name and signature.key_id == witness.key_id:
            verify_cosignature(note.text, signature, witness)
            found.append(signature)
    if not found:
        raise CosignatureError(f"the answer holds no cosignature by {witness.name}")
    return tuple(found)


def retry_delay(failures: int) -> int:
    """Seconds to wait after ``failures`` failed attempts in a row (``failures`` ≥ 1)."""
    doublings = min(max(failures - 1, 0), 20)
    return min(LONGEST_RETRY_SECONDS, FIRST_RETRY_SECONDS * (1 << doublings))
