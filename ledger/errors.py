"""Typed errors of the ledger: each says what failed and where.

``LedgerError`` is the root.  Verification failures carry a ``check`` name (the
step of docs/audit-bundle.md that failed) and, where it applies, the entry
index or bundle member, so a verifier's report can name every failed check.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class Refusal(StrEnum):
    """Why the log refused an entry: stable codes for the web layer, the CLI and tools.

    The figures that make a refusal useful travel in the error's ``params``:

    * ``wrong_log`` — the payload names another log (``origin``)
    * ``no_log`` — the assembly has no log yet
    * ``not_open`` — before the voting window (``opens_at_ms``)
    * ``closed`` — voting is closed, or the window has ended (``closes_at_ms``)
    * ``key_not_enrolled``, ``key_revoked``, ``wrong_head`` — the device key (``key``)
    * ``seq_conflict`` — the ballot number is not the head's next (``next_seq``)
    * ``bad_signature`` — the signature does not verify with the enrolled key
    * ``not_committee_key`` — a committee entry signed by a key that is not enrolled
    * ``head_not_in_roster`` (``head``), ``key_already_enrolled`` (``key``)
    * ``no_proxy_for_head`` (``head``, ``agent``), ``proxy_cap_exceeded`` (``cap``,
      ``heads``: how many the agent represents), ``proxies_not_allowed``
    * ``transfer_in_future``, ``transfer_already_recorded`` (``entry``),
      ``multi_unit_transfer`` (``units``: name the unit sold), ``void_later_ballots_first``
      (``entries``), ``unit_not_in_head`` (``unit``, ``units``: the seller's units now),
      ``not_a_multi_unit_head`` (``head``), ``buyer_is_seller`` (``head``)
    * ``not_countable`` — a void names an entry that is not a counting ballot (``entry``;
      ``voided_by``: the void's entry when the target is already void)
    * ``already_closed``, ``result_before_close``, ``result_already_published``
    * ``proxy_already_registered`` — the agent is already registered for the head
      (``head``, ``agent``, ``entry``: the registration)
    * ``void_reason_length`` — a void's published reason is too short or too long
      (``min``, ``max``: characters)
    * ``too_many_ballots`` — the head used its casting allowance (:mod:`ledger.allowance`;
      ``retry_at_ms``)
    * ``wrong_ballot_mode`` — an open ballot in a secret assembly or the reverse
      (``secrecy``: the assembly's ``ballot_secrecy``)
    * ``bad_ballot_proof`` — a secret ballot that :func:`ledger.secret.ballot.verify_ballot`
      refuses (``reason``: its code, ``where``, ``item``, ``option``, ``proof``)
    * ``not_secret`` — a trustee document for an open assembly
    * ``bad_trustee_document`` — a trustee document that does not verify or does not fit
      the ceremony (``where``, ``problem``)
    * ``ceremony_not_final`` — the notice of a secret assembly before its key ceremony is
      final, or a ceremony document after it (``phase``, and what is missing)
    """

    WRONG_LOG = "wrong_log"
    NO_LOG = "no_log"
    NOT_OPEN = "not_open"
    CLOSED = "closed"
    KEY_NOT_ENROLLED = "key_not_enrolled"
    KEY_REVOKED = "key_revoked"
    WRONG_HEAD = "wrong_head"
    SEQ_CONFLICT = "seq_conflict"
    BAD_SIGNATURE = "bad_signature"
    NOT_COMMITTEE_KEY = "not_committee_key"
    HEAD_NOT_IN_ROSTER = "head_not_in_roster"
    KEY_ALREADY_ENROLLED = "key_already_enrolled"
    NO_PROXY_FOR_HEAD = "no_proxy_for_head"
    PROXY_CAP_EXCEEDED = "proxy_cap_exceeded"
    PROXIES_NOT_ALLOWED = "proxies_not_allowed"
    TRANSFER_IN_FUTURE = "transfer_in_future"
    TRANSFER_ALREADY_RECORDED = "transfer_already_recorded"
    MULTI_UNIT_TRANSFER = "multi_unit_transfer"
    UNIT_NOT_IN_HEAD = "unit_not_in_head"
    NOT_A_MULTI_UNIT_HEAD = "not_a_multi_unit_head"
    BUYER_IS_SELLER = "buyer_is_seller"
    VOID_LATER_BALLOTS_FIRST = "void_later_ballots_first"
    NOT_COUNTABLE = "not_countable"
    ALREADY_CLOSED = "already_closed"
    RESULT_BEFORE_CLOSE = "result_before_close"
    RESULT_ALREADY_PUBLISHED = "result_already_published"
    FINAL_BEFORE_RESULT = "final_before_result"
    FINAL_ALREADY_PUBLISHED = "final_already_published"
    PROXY_ALREADY_REGISTERED = "proxy_already_registered"
    VOID_REASON_LENGTH = "void_reason_length"
    TOO_MANY_BALLOTS = "too_many_ballots"
    WRONG_BALLOT_MODE = "wrong_ballot_mode"
    BAD_BALLOT_PROOF = "bad_ballot_proof"
    NOT_SECRET = "not_secret"
    BAD_TRUSTEE_DOCUMENT = "bad_trustee_document"
    CEREMONY_NOT_FINAL = "ceremony_not_final"


class LedgerError(Exception):
    """Base class of every error raised by the ``ledger`` package.

    A refusal of the log carries ``code`` (a :class:`Refusal`) and ``params`` (its
    figures); other errors have ``code`` ``None``.
    """

    def __init__(self, message: str = "", *, code: Refusal | None = None,
                 params: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.params: Mapping[str, Any] = dict(params or {})

    def __reduce__(self) -> tuple[Any, ...]:
        # keeps code, params (and a subclass's fields) across processes (the verifier's
        # workers) although the constructors take keyword arguments
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(cls: type[LedgerError], args: tuple[Any, ...], state: dict[str, Any]) -> LedgerError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


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

    def __init__(self, message: str, index: int | None = None, *,
                 code: Refusal | None = None, params: Mapping[str, Any] | None = None) -> None:
        self.index = index
        super().__init__(f"entry {index}: {message}" if index is not None else message,
                         code=code, params=params)


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
