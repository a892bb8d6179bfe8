"""Typed errors of the rules engine.

Every error names what was wrong and where (unit, item, head, JSON path,
ballot position), so that a committee member or the offline verifier can act
on the message without reading code.  All derive from :class:`VotingError`.

Errors a *voter* can meet when casting carry a stable machine code
(:class:`RefusalReason`) so that the web layer can translate them; lifecycle
errors carry the current and wanted states.
"""

from __future__ import annotations

from enum import StrEnum


class VotingError(Exception):
    """Base class of every error raised by the ``voting`` rules engine."""


class AreaError(VotingError, ValueError):
    """An area is not a positive decimal with at most two places."""


class RosterError(VotingError):
    """The roster (units, owners, areas) cannot be turned into heads."""


class ItemError(VotingError):
    """An agenda item is malformed or inconsistent with its matter or scope."""


class SettingsError(VotingError):
    """An assembly setting is missing, of the wrong type or outside what the law allows."""


class TallyError(VotingError):
    """The votes handed to :func:`voting.tally.tally` do not fit the roster or the items."""


class TallyFileError(VotingError):
    """A tally input file is invalid; ``path`` is a JSON path like ``ballots[17].unit``."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.detail = message
        super().__init__(f"{path}: {message}" if path else message)


class RefusalReason(StrEnum):
    """Why a ballot was refused at cast time (stable codes for UIs and the verifier)."""

    EMPTY_BALLOT = "empty_ballot"
    UNKNOWN_HEAD = "unknown_head"
    UNKNOWN_ITEM = "unknown_item"
    ITEM_OUT_OF_SCOPE = "item_out_of_scope"
    INVALID_CHOICE = "invalid_choice"
    UNKNOWN_CANDIDATE = "unknown_candidate"
    TOO_MANY_APPROVALS = "too_many_approvals"
    REVOTE_NOT_ALLOWED = "revote_not_allowed"
    REVOTE_ALREADY_USED = "revote_already_used"
    PAPER_ALREADY_COUNTED = "paper_already_counted"
    ELECTRONIC_ALREADY_COUNTED = "electronic_already_counted"
    PROXY_NOT_ALLOWED = "proxy_not_allowed"
    PROXY_WITHOUT_AGENT = "proxy_without_agent"
    PROXY_CAP_EXCEEDED = "proxy_cap_exceeded"
    CO_OWNER_ALREADY_VOTED = "co_owner_already_voted"
    OUT_OF_ORDER = "out_of_order"
    UNIT_TRANSFERRED = "unit_transferred"
    SELLER_VOTED_BEFORE_TRANSFER = "seller_voted_before_transfer"


class CastRefused(VotingError):
    """A new ballot may not be accepted; ``reason`` is a :class:`RefusalReason`.

    ``item_id`` names the offending item when the refusal concerns one item;
    ``seq`` is the ballot's sequence position when known.
    """

    def __init__(
        self,
        reason: RefusalReason,
        message: str,
        *,
        item_id: str | None = None,
        seq: int | None = None,
    ) -> None:
        self.reason = reason
        self.message = message
        self.item_id = item_id
        self.seq = seq
        super().__init__(f"{reason.value}: {message}")


class TransitionRefused(VotingError):
    """An assembly may not move from ``current`` to ``wanted`` now; ``why`` says why."""

    def __init__(self, current: str, wanted: str, why: str) -> None:
        self.current = current
        self.wanted = wanted
        self.why = why
        super().__init__(f"cannot move assembly from {current!s} to {wanted!s}: {why}")
