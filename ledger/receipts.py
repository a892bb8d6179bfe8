"""Ballot receipts: a tracker code for people, a JSON/QR form for machines, and the proof.

A receipt names the ballot's entry (index and entry hash), a signed checkpoint
that contains it, and the inclusion proof into that checkpoint.  Later, with
the newest checkpoint and a consistency proof from the receipt's checkpoint to
it, :func:`verify_receipt` shows the ballot is still in the log.

The tracker code is the entry hash in RFC 4648 base32 (no padding), first 20
characters in groups of four: ``ABCD-EFGH-IJKL-MNOP-QRST`` (100 bits).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from ledger import canonical, merkle
from ledger.errors import LedgerError, ReceiptError
from ledger.note import Checkpoint, Verifier, parse_note, verify_note_signature

RECEIPT_VERSION = "ownervote-receipt/v1"


def tracker_code(entry_hash: bytes) -> str:
    b32 = base64.b32encode(entry_hash).decode().rstrip("=")[:20]
    return "-".join(b32[i : i + 4] for i in range(0, 20, 4))


@dataclass(frozen=True)
class Receipt:
    index: int
    entry_hash: bytes
    checkpoint: str  # signed note
    proof: tuple[bytes, ...]

    @property
    def tracker(self) -> str:
        return tracker_code(self.entry_hash)

    def to_json(self) -> dict[str, Any]:
        return {
            "v": RECEIPT_VERSION,
            "index": self.index,
            "entry_hash": self.entry_hash.hex(),
            "tracker": self.tracker,
            "checkpoint": self.checkpoint,
            "proof": [p.hex() for p in self.proof],
        }

    def qr_content(self) -> str:
        """The whole receipt (canonical JSON): checkable offline, but a dense QR code."""
        return canonical.encode(self.to_json()).decode()

    def compact_qr(self, origin: str) -> str:
        """A short QR payload naming the ballot: ``ownervote-receipt:<origin>#<index>:<hash>``.

        Enough to fetch the proofs later (:func:`receipt_update`) and check them.
        """
        return f"ownervote-receipt:{origin}#{self.index}:{self.entry_hash.hex()}"

    @classmethod
    def from_json(cls, data: Any) -> Receipt:
        try:
            if data.get("v") != RECEIPT_VERSION:
                raise ReceiptError("not an ownervote-receipt/v1")
            r = cls(
                int(data["index"]),
                canonical.unhex(data["entry_hash"], 32, "entry_hash"),
                str(data["checkpoint"]),
                tuple(canonical.unhex(p, 32, "proof") for p in data["proof"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError, LedgerError) as exc:
            raise ReceiptError(f"malformed receipt: {exc}") from None
        if data.get("tracker") not in (None, r.tracker):
            raise ReceiptError("the tracker code does not match the entry hash")
        return r


def verify_receipt(
    receipt: Receipt,
    newest_checkpoint: str,
    consistency_proof: list[bytes],
    log_public_key: Verifier | str,
) -> Checkpoint:
    """Prove the receipt's ballot is in the log as of ``newest_checkpoint``.

    Checks both checkpoints' log signatures and origins, the inclusion proof
    into the receipt's checkpoint and the consistency proof from it to the
    newest.  Returns the newest checkpoint; raises :class:`ReceiptError`.
    """
    log = Verifier.parse(log_public_key) if isinstance(log_public_key, str) else log_public_key
    try:
        old_note = parse_note(receipt.checkpoint)
        verify_note_signature(old_note, log)
        old = Checkpoint.parse(old_note.text)
        new_note = parse_note(newest_checkpoint)
        verify_note_signature(new_note, log)
        new = Checkpoint.parse(new_note.text)
        if old.origin != new.origin:
            raise ReceiptError("the checkpoints are of different logs")
        merkle.verify_inclusion(
            receipt.entry_hash, receipt.index, old.size, list(receipt.proof), old.root
        )
        merkle.verify_consistency(old.size, new.size, old.root, new.root, consistency_proof)
    except ReceiptError:
        raise
    except LedgerError as exc:
        raise ReceiptError(f"receipt of entry {receipt.index} does not verify: {exc}") from None
    return new
