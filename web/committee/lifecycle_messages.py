"""The lifecycle's refusals in the reader's language: one message per refusal code.

:mod:`voting.lifecycle` decides whether an assembly may take a step now and says why
not with a :class:`~voting.errors.TransitionRefused` (a
:class:`~voting.errors.TransitionReason` code and its figures).  This table words each
code, with the figures in China time (as :func:`web.committee.console.local`), for the
"why not yet" hints on the console's pages and for the flash when a service refuses a
step.  The ledger's refusals of a step (rare: the lifecycle is checked first) and a
count that fails are worded here too, never with the domain's English.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import Any, overload

from flask_babel import gettext as _

from ledger.errors import LedgerError, Refusal
from ownervote.services import proceedings
from voting.errors import TallyError, TransitionReason, TransitionRefused
from voting.lifecycle import Status
from web.committee.console import local

log = logging.getLogger(__name__)

Params = Mapping[str, Any]

TRANSITIONS: dict[TransitionReason, Callable[[Params], str]] = {
    TransitionReason.NOT_A_STATE: lambda p: _(
        "\u201c%(wanted)s\u201d is not a step of an assembly.", wanted=p.get("wanted", "")),
    TransitionReason.ALREADY_DONE: lambda p: _(
        "This step is already done; an assembly never goes back."),
    TransitionReason.NEVER_BACK: lambda p: _(
        "This step is already done; an assembly never goes back."),
    TransitionReason.EARLIER_STEPS_FIRST: lambda p: _("Finish the earlier steps first."),
    TransitionReason.FINAL: lambda p: _(
        "The proceedings are complete: there is no further step."),
    TransitionReason.NO_ITEMS: lambda p: _(
        "Add at least one item: only the items in the notice may be voted on."),
    TransitionReason.TIMES_NOT_SET: lambda p: _("Set the opening and closing times first."),
    TransitionReason.CLOSES_BEFORE_OPENS: lambda p: _("Voting must close after it opens."),
    TransitionReason.NOTICE_TOO_SHORT: lambda p: _(
        "Voting opens %(opens)s, less than %(days)s days after a notice published now "
        "(物业管理条例 第14条). The earliest allowed opening is %(earliest)s.",
        opens=local(p.get("opens_at")), days=p.get("notice_days", ""),
        earliest=local(p.get("earliest"))),
    TransitionReason.NO_OPENING_TIME: lambda p: _("No opening time is set."),
    TransitionReason.NO_NOTICE_TIME: lambda p: _(
        "No notice time is recorded: publish the notice first."),
    TransitionReason.NOTICE_CAME_LATE: lambda p: _(
        "The notice of %(notice)s came less than %(days)s days before voting opens at "
        "%(opens)s (物业管理条例 第14条).", notice=local(p.get("notice_at")),
        days=p.get("notice_days", ""), opens=local(p.get("opens_at"))),
    TransitionReason.BEFORE_OPENING: lambda p: _(
        "Voting opens at %(time)s, as the notice told the owners.",
        time=local(p.get("opens_at"))),
    TransitionReason.NO_CLOSING_TIME: lambda p: _("No closing time is set."),
    TransitionReason.BEFORE_CLOSING: lambda p: _(
        "Voting closes at %(time)s; the owners were told so, and it cannot end early.",
        time=local(p.get("closes_at"))),
    TransitionReason.FROZEN_BY_NOTICE: lambda p: _(
        "The notice is published: the items, settings, documents and voting window are "
        "frozen, because only what the notice showed may be voted on."),
    TransitionReason.OBJECTIONS_AFTER_ANNOUNCEMENT: lambda p: _(
        "Objections are recorded after the announcement."),
    TransitionReason.REMINDERS_ONLY_WHILE_OPEN: lambda p: _(
        "Reminders can be sent only while voting is open."),
    TransitionReason.FINAL_AFTER_ANNOUNCEMENT: lambda p: _(
        "The final announcement follows the announcement of the result."),
    TransitionReason.OBJECTION_PERIOD_OPEN: lambda p: _(
        "Objections may be raised until %(until)s; the final announcement is issued after "
        "that.", until=local(p.get("objection_until"))),
    TransitionReason.FINAL_ALREADY_ISSUED: lambda p: _(
        "The final announcement was issued on %(time)s.", time=local(p.get("final_at"))),
}

LEDGER_STEPS: dict[Refusal, Callable[[], str]] = {
    Refusal.NO_LOG: lambda: _("This assembly has no ledger yet."),
    Refusal.ALREADY_CLOSED: lambda: _("The ledger already records the close of voting."),
    Refusal.RESULT_BEFORE_CLOSE: lambda: _(
        "Close voting before counting: the ledger records no close yet."),
    Refusal.RESULT_ALREADY_PUBLISHED: lambda: _(
        "The ledger already holds the result of this assembly."),
    Refusal.FINAL_BEFORE_RESULT: lambda: _(
        "The ledger holds no result yet: count the votes first."),
    Refusal.FINAL_ALREADY_PUBLISHED: lambda: _(
        "The ledger already holds the final announcement of this assembly."),
    Refusal.CEREMONY_NOT_FINAL: lambda: _(
        "The trustees' key ceremony is not final yet: every trustee must announce, deal and "
        "confirm (or have complaints answered) before the notice of a secret assembly."),
    Refusal.BAD_TRUSTEE_DOCUMENT: lambda: _(
        "The trustees' documents do not fit this assembly (its number of trustees or "
        "threshold, or its ledger)."),
}


@overload
def transition_message(refused: TransitionRefused) -> str: ...


@overload
def transition_message(refused: TransitionRefused | None) -> str | None: ...


def transition_message(refused: TransitionRefused | None) -> str | None:
    """Why the step is refused, in the reader's language (None when it is not)."""
    if refused is None:
        return None
    return TRANSITIONS[refused.code](refused.params)


def step_failure(exc: LedgerError | TallyError) -> str:
    """What to tell the member when the ledger refuses a step or the count fails."""
    log.warning("a proceedings step failed: %s", exc)
    if isinstance(exc, TallyError):
        return _("The votes could not be counted: the ballots in the ledger do not fit the "
                 "published roster or items. The details are in the server log.")
    words = LEDGER_STEPS.get(exc.code) if exc.code is not None else None
    if words is not None:
        return words()
    return _("The ledger refused this step; the details are in the server log.")


def why_not_yet(a: Any, target: Status, now: dt.datetime) -> str | None:
    """None if ``a`` may move to ``target`` now, else why not (the pages' hints)."""
    return transition_message(proceedings.refusal(a, target, now))
