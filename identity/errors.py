"""Typed errors of the identity package.

Every error says what was wrong and where (file line and field, unit, request
id) and never carries personal data: no name, ID number or phone number ever
appears in a message, because messages end up in logs and on terminals.
All derive from :class:`IdentityError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class IdentityError(Exception):
    """Base class of every error raised by ``identity``."""


# --- identity documents -------------------------------------------------------------------


class IdNumberError(IdentityError, ValueError):
    """An identity-document number is malformed or fails its check character."""


# --- registry extracts --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in an extract: the file line (header = line 1), the field, what is wrong."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        if self.field:
            return f"{where}, {self.field}: {self.message}"
        return f"{where}: {self.message}"


class ExtractError(IdentityError):
    """A registry extract cannot be read or is invalid; ``errors`` lists every problem found.

    ``total`` counts all problems; ``errors`` holds at most the first
    :data:`identity.validation.MAX_ERRORS` of them, in file order.
    """

    def __init__(self, errors: Sequence[RowError], total: int | None = None) -> None:
        self.errors = tuple(errors)
        self.total = len(self.errors) if total is None else total
        first = str(self.errors[0]) if self.errors else "invalid extract"
        more = f" (and {self.total - 1} more)" if self.total > 1 else ""
        super().__init__(f"registry extract refused: {first}{more}")


class ExtractFormatError(ExtractError):
    """The file is not a readable CSV or JSON extract (encoding, structure, header)."""

    def __init__(self, message: str | Sequence[RowError], line: int = 0, field: str = "") -> None:
        if isinstance(message, str):
            super().__init__([RowError(line, field, message)])
        else:
            super().__init__(message)


# --- roster -------------------------------------------------------------------------------


class RosterError(IdentityError):
    """A roster version is missing, inconsistent or cannot be frozen."""


class RosterIntegrityError(RosterError):
    """A stored roster no longer matches its recorded digest."""


# --- personal data ------------------------------------------------------------------------


class PiiError(IdentityError):
    """Encrypted personal data cannot be decrypted (unknown key id, wrong purpose, tampered)."""


# --- verification -------------------------------------------------------------------------


class VerificationError(IdentityError):
    """A verification step failed; ``code`` is a stable machine code for the web layer."""

    code = "verification_failed"


class NotMatched(VerificationError):
    """The name, ID number and unit given do not match the registry (deliberately vague)."""

    code = "not_matched"


class Throttled(VerificationError):
    """Too many failed attempts: locked until ``retry_at``."""

    code = "locked_out"

    def __init__(self, scope: str, retry_at: dt.datetime) -> None:
        self.scope = scope
        self.retry_at = retry_at
        super().__init__(
            f"too many failed attempts ({scope}); try again after {retry_at:%Y-%m-%d %H:%M} UTC"
        )


class InvalidIdNumber(VerificationError):
    """The ID number typed fails its document's check (told to the person: it is theirs)."""

    code = "invalid_id_number"


class InvalidPhone(VerificationError):
    code = "invalid_phone"


class CodeInvalid(VerificationError):
    """The one-time code is wrong; ``attempts_left`` more tries on this verification."""

    code = "code_invalid"

    def __init__(self, attempts_left: int) -> None:
        self.attempts_left = attempts_left
        super().__init__(f"the one-time code is wrong; {attempts_left} attempts left")


class VerificationExpired(VerificationError):
    """The verification token is unknown, used up or past its lifetime."""

    code = "expired"


class ResendTooSoon(VerificationError):
    code = "resend_too_soon"

    def __init__(self, retry_at: dt.datetime) -> None:
        self.retry_at = retry_at
        super().__init__(f"a code was just sent; ask again after {retry_at:%H:%M:%S} UTC")


class NotAPerson(VerificationError):
    """An organisation cannot verify itself: its legal representative goes through review."""

    code = "organisation_owner"


# --- SMS ----------------------------------------------------------------------------------


class SmsError(IdentityError):
    """The SMS gateway is misconfigured or refused a message."""


# --- review queue -------------------------------------------------------------------------


class ReviewProblem(StrEnum):
    """Why a review-queue action is refused (stable codes; the web words them)."""

    NOT_COMMITTEE = "not_committee"  # not a committee member of the review's community
    UNKNOWN_KIND = "unknown_kind"
    PERSON_ID = "person_id"  # the person's ID number is not valid for its type
    NAME_REQUIRED = "name_required"
    DEVELOPER_ID = "developer_id"  # a developer is identified by its USCC
    NATURAL_PERSON = "natural_person"  # guardians and legal representatives are people
    NO_ROSTER = "no_roster"
    UNIT_REQUIRED = "unit_required"
    UNIT_NOT_IN_ROSTER = "unit_not_in_roster"
    OWNER_NOT_IN_ROSTER = "owner_not_in_roster"
    ORGANISATION_OWNER = "organisation_owner"  # a legal representative's owner
    NATURAL_OWNER = "natural_owner"  # a guardian's owner
    EVIDENCE_CLOSED = "evidence_closed"
    EVIDENCE_SIZE = "evidence_size"
    EVIDENCE_DAMAGED = "evidence_damaged"
    ALREADY_DECIDED = "already_decided"  # the review is no longer pending
    SUBMITTER_DECIDES = "submitter_decides"
    DECIDED_BY_YOU = "decided_by_you"
    NO_EVIDENCE = "no_evidence"
    NOT_SUBMITTER = "not_submitter"  # only the submitter withdraws a pending review
    UNIT_CHANGED = "unit_changed"  # the unit changed in the roster since the submission
    NO_ROSTER_CHANGE = "no_roster_change"  # the kind does not change the roster
    NO_DEVELOPER_UNIT = "no_developer_unit"
    UNIT_REGISTERED = "unit_registered"  # a registered unit's buyer verifies from the registry


class ReviewError(IdentityError):
    """A review-queue action is not allowed; ``problem`` says which rule refused it."""

    def __init__(self, message: str, problem: ReviewProblem) -> None:
        self.problem = problem
        super().__init__(message)


# --- device keys --------------------------------------------------------------------------


class DeviceKeyError(IdentityError):
    """A device public key is not a valid P-256 SPKI, or is already enrolled/revoked."""


# --- representatives ----------------------------------------------------------------------


class RepresentativeError(IdentityError):
    """A representative cannot be recorded (not a co-owner of the unit, wrong community)."""
