"""Typed errors of the ledger: each says what failed and where.

``LedgerError`` is the root.  Verification failures carry a ``check`` name (the
step of docs/audit-bundle.md that failed) and, where it applies, the entry
index or bundle member, so a verifier's report can name every failed check.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base class of every error raised by the ``ledger`` package."""


class ProofError(LedgerError):
    """A Merkle inclusion or consistency proof does not verify."""


class EncodingError(LedgerError):
    """Bytes are not in the canonical encoding (or cannot be decoded at all)."""


class SignatureError(LedgerError):
    """A signature, key or signed note does not verify or cannot be parsed."""


class KeyFileError(LedgerError):
    """A key file is missing, malformed or readable by others."""


class NoteError(SignatureError):
    """A signed note or checkpoint is malformed or its signature is wrong."""


class EntryError(LedgerError):
    """An entry is malformed or breaks a rule of the log; names the entry index."""

    def __init__(self, message: str, index: int | None = None) -> None:
        self.index = index
        super().__init__(f"entry {index}: {message}" if index is not None else message)


class BallotError(EntryError):
    """A ballot is refused (bad signature, unknown key, replay, closed window ...)."""


class LogStateError(LedgerError):
    """The stored log is not in the state an operation needs (missing, closed ...)."""


class InconsistentCheckpoint(LogStateError):
    """Refused to sign a checkpoint not consistent with the previous one."""


class CosignatureError(SignatureError):
    """A witness cosignature does not verify or names an unknown witness."""


class ReceiptError(LedgerError):
    """A receipt is malformed or does not prove its ballot is in the log."""


class BundleError(LedgerError):
    """An audit bundle cannot be read (not a zip, missing manifest ...); exit status 2."""

    def __init__(self, message: str, member: str | None = None) -> None:
        self.member = member
        super().__init__(f"{member}: {message}" if member else message)
