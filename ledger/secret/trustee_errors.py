"""Typed errors of the trustees' protocol (docs/secret-ballots.md §7, §12).

Every error names *where* the problem is (a file, a document field, a trustee index) and
*what* it is, so the command line can print one line that a trustee can act on.  They are
:class:`ledger.errors.LedgerError` subclasses: the shell's refusal handling catches them.
"""

from __future__ import annotations

from ledger.errors import LedgerError


class TrusteeError(LedgerError):
    """Root of the trustee errors; ``where`` names the field, file or trustee."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


class ParameterError(TrusteeError):
    """n, k, or a trustee index outside what the ceremony allows."""


class ProofFailed(TrusteeError):
    """A Schnorr or DLEQ proof does not verify."""


class ShareError(TrusteeError):
    """A dealt share does not match its dealer's commitments."""


class TransportError(TrusteeError):
    """An encrypted share cannot be opened (wrong recipient, tampered, wrong binding)."""


class DocumentError(TrusteeError):
    """A trustee document is malformed, of the wrong kind, or for another ceremony."""


class TrusteeSignatureError(TrusteeError):
    """A trustee document's signature does not verify under the announced key."""


class CeremonyError(TrusteeError):
    """The documents of a ceremony contradict each other, or the key is not final."""


class CombineError(TrusteeError):
    """Fewer than k valid decryption shares for a total."""
