"""Typed errors of the rules engine.

Every error names what was wrong and where (unit, item, head, JSON path,
ballot position), so that a committee member or the offline verifier can act
on the message without reading code.  All derive from :class:`VotingError`.

Errors a *voter* can meet when casting carry a stable machine code
(:class:`RefusalReason`) so that the web layer can translate them; lifecycle
errors carry the current and wanted states.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class VotingError(Exception):
    """Base class of every error raised by the ``voting`` rules engine."""


class AreaError(VotingError, ValueError):
    """An area is not a positive decimal with at most two places."""


class RosterError(VotingError):
    """The roster (units, owners, areas) cannot be turned into heads."""


class ItemError(VotingError):
    """An agenda item is malformed or inconsistent with its matter or scope."""


class TextTooLong(VotingError, ValueError):
    """A free-text field is longer than ``voting.textlimits.LIMITS`` allows for it."""

    def __init__(self, field: str, limit: int, length: int, where: str = "") -> None:
        self.field, self.limit, self.length, self.where = field, limit, length, where
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}{field} is {length} characters long; at most {limit}")


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
    #: the seller of a unit sold out of a multi-unit head voted on the item before the
    #: sale: that ballot stands for the units held then and may no longer change
    SOLD_UNIT_VOTE_STANDS = "sold_unit_vote_stands"


class CastRefused(VotingError):
    """A new ballot may not be accepted; ``reason`` is a :class:`RefusalReason`.

    ``item_id`` names the offending item when the refusal concerns one item;
    ``seq`` is the ballot's sequence position when known; ``voter`` the pseudonymous
    reference of who votes for the unit when the refusal is that someone else does
    (``co_owner_already_voted``), for the message shown to the one refused.
    """

    def __init__(
        self,
        reason: RefusalReason,
        message: str,
        *,
        item_id: str | None = None,
        seq: int | None = None,
        voter: str | None = None,
    ) -> None:
        self.reason = reason
        self.message = message
        self.item_id = item_id
        self.seq = seq
        self.voter = voter
        super().__init__(f"{reason.value}: {message}")


class TransitionReason(StrEnum):
    """Why an assembly may not move to a state now (stable codes; ``params`` name the figures).

    Parameters (:attr:`TransitionRefused.params`) per code:

    * ``not_a_state``: ``wanted`` (the text given)
    * ``already_done``, ``never_back``: none
    * ``earlier_steps_first``: ``next`` (the only state that can follow now)
    * ``final``: none
    * ``no_items``, ``times_not_set``, ``closes_before_opens``: none
    * ``notice_too_short``: ``opens_at``, ``earliest`` (datetimes), ``notice_days``
    * ``no_opening_time``, ``no_notice_time``, ``no_closing_time``: none
    * ``notice_came_late``: ``notice_at``, ``opens_at`` (datetimes), ``notice_days``
    * ``before_opening``: ``opens_at``;  ``before_closing``: ``closes_at``

    Refusals of a step that needs the assembly in one state (not a move; ``wanted`` is
    that state):

    * ``frozen_by_notice``: none (the items, settings, documents and voting window change
      only in draft: the notice fixes what is voted on)
    * ``objections_after_announcement``: none (objections are recorded once the result is
      announced)
    * ``reminders_only_while_open``: none (reminders are sent only while voting is open)
    * ``final_after_announcement``: none (the final announcement follows the announcement)
    * ``objection_period_open``: ``objection_until`` (datetime): the final announcement is
      issued once the objection period is over
    * ``final_already_issued``: ``final_at`` (datetime)
    """

    NOT_A_STATE = "not_a_state"
    ALREADY_DONE = "already_done"
    NEVER_BACK = "never_back"
    EARLIER_STEPS_FIRST = "earlier_steps_first"
    FINAL = "final"
    NO_ITEMS = "no_items"
    TIMES_NOT_SET = "times_not_set"
    CLOSES_BEFORE_OPENS = "closes_before_opens"
    NOTICE_TOO_SHORT = "notice_too_short"
    NO_OPENING_TIME = "no_opening_time"
    NO_NOTICE_TIME = "no_notice_time"
    NOTICE_CAME_LATE = "notice_came_late"
    BEFORE_OPENING = "before_opening"
    NO_CLOSING_TIME = "no_closing_time"
    BEFORE_CLOSING = "before_closing"
    FROZEN_BY_NOTICE = "frozen_by_notice"
    OBJECTIONS_AFTER_ANNOUNCEMENT = "objections_after_announcement"
    REMINDERS_ONLY_WHILE_OPEN = "reminders_only_while_open"
    FINAL_AFTER_ANNOUNCEMENT = "final_after_announcement"
    OBJECTION_PERIOD_OPEN = "objection_period_open"
    FINAL_ALREADY_ISSUED = "final_already_issued"


class TransitionRefused(VotingError):
    """An assembly may not move from ``current`` to ``wanted`` now.

    ``code`` (a :class:`TransitionReason`) and ``params`` say why for a program (the web
    layer words it in the reader's language); ``why`` says it in plain English.
    """

    def __init__(self, current: str, wanted: str, why: str, *,
                 code: TransitionReason, params: Mapping[str, Any] | None = None) -> None:
        self.current = current
        self.wanted = wanted
        self.why = why
        self.code = code
        self.params: Mapping[str, Any] = dict(params or {})
        super().__init__(f"cannot move assembly from {current!s} to {wanted!s}: {why}")
