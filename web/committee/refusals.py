"""Why a committee entry was refused, in words a committee member can act on.

One table per kind of refusal, from its code to a translated message with the
refusal's figures: the ledger's (:class:`ledger.errors.Refusal`), the casting rules'
(:class:`voting.errors.RefusalReason`) and the service layer's
(:class:`ownervote.services.committee_keys.EntryRefusal`).  The domain's English
explanations stay in logs and the verifier; none of their text is shown here.  The
extra facts a message shows (when the owner already voted) are read through
:mod:`ownervote.services.paper_ballots`.

``action`` names what the member was doing (``paper``, ``proxy``, ``transfer``,
``void``, ``key``): the log's window is worded for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext as _

from ledger.errors import LedgerError, Refusal, SignatureError
from ownervote.services import paper_ballots
from ownervote.services.committee_keys import EntryRefusal, EntryRefused
from voting.errors import CastRefused, RefusalReason
from web import instance
from web.committee.console import local
from web.database import db

Params = Mapping[str, Any]


def _window(action: str) -> str:
    """When the log takes this kind of entry (for ``no_log``, ``not_open``, ``closed``)."""
    return {
        "paper": lambda: _("Paper ballots can be entered only while voting is open."),
        "proxy": lambda: _("Proxies are registered between the notice and the close."),
        "transfer": lambda: _("Transfers are recorded between the notice and the close."),
        "void": lambda: _("Ballots can be voided only while voting is open; after the close "
                          "the count is final."),
        "key": lambda: _("Committee keys are enrolled between the notice and the close."),
    }.get(action, lambda: _("Voting is closed: nothing more can be entered."))()


def _bad_signature(_p: Params, _action: str) -> str:
    return _("The signature did not verify: this browser's committee key is not the one "
             "enrolled. Reload the page and try again.")


def _later_ballots(p: Params, action: str) -> str:
    entries = ", ".join(str(e) for e in p.get("entries", ()))
    if action == "void":
        return _("Later ballots of this unit still count: void ledger entries %(entries)s "
                 "first, then the transfer.", entries=entries)
    return _("Ballots of this unit were cast at or after the transfer and are void by law: "
             "void ledger entries %(entries)s on the ballots page first.", entries=entries)


def _not_countable(p: Params, _action: str) -> str:
    if p.get("voided_by") is not None:
        return _("That ballot is already void.")
    return _("There is no ballot at that ledger position.")


LEDGER_MESSAGES: dict[Refusal, Callable[[Params, str], str]] = {
    Refusal.WRONG_LOG: lambda p, a: _("This entry was prepared for another assembly. Reload "
                                      "the page and try again."),
    Refusal.NO_LOG: lambda p, a: _window(a),
    Refusal.NOT_OPEN: lambda p, a: _window(a),
    Refusal.CLOSED: lambda p, a: _window(a),
    Refusal.KEY_NOT_ENROLLED: lambda p, a: _("The key is not enrolled in this assembly's "
                                             "ledger. Reload the page and try again."),
    Refusal.KEY_REVOKED: lambda p, a: _("The key was revoked in this assembly's ledger."),
    Refusal.WRONG_HEAD: lambda p, a: _("The key is enrolled for another owner."),
    Refusal.SEQ_CONFLICT: lambda p, a: _("Someone entered a ballot for this owner at the same "
                                         "moment. Reload the page and check before entering "
                                         "it again."),
    Refusal.BAD_SIGNATURE: _bad_signature,
    Refusal.NOT_COMMITTEE_KEY: _bad_signature,
    # a home's phone ballots over its allowance (committee entries are never counted in it)
    Refusal.TOO_MANY_BALLOTS: lambda p, a: _("This home has cast as many ballots as the "
                                             "server accepts for now. Try again later."),
    Refusal.HEAD_NOT_IN_ROSTER: lambda p, a: _("This unit does not vote in this assembly."),
    Refusal.KEY_ALREADY_ENROLLED: lambda p, a: _("This key is already enrolled in this "
                                                 "assembly's ledger."),
    Refusal.NO_PROXY_FOR_HEAD: lambda p, a: _("No written proxy of this agent is registered "
                                              "for this owner."),
    Refusal.PROXY_CAP_EXCEEDED: lambda p, a: _(
        "This agent already represents %(n)s owners; this assembly allows at most %(cap)s per "
        "agent.", n=p.get("heads", "?"), cap=p.get("cap", "?")),
    Refusal.PROXIES_NOT_ALLOWED: lambda p, a: _("This assembly does not accept proxies (its "
                                                "proxy cap is 0)."),
    Refusal.TRANSFER_IN_FUTURE: lambda p, a: _("The registration time of the transfer cannot "
                                               "be in the future."),
    Refusal.TRANSFER_ALREADY_RECORDED: lambda p, a: _(
        "A transfer of this unit is already recorded (ledger entry %(n)s).",
        n=p.get("entry", "?")),
    Refusal.MULTI_UNIT_TRANSFER: lambda p, a: _(
        "Units %(units)s count as one owner: the transfer must name the unit that was sold.",
        units="、".join(p.get("units", ()))),
    Refusal.UNIT_NOT_IN_HEAD: lambda p, a: _(
        "Unit %(unit)s is not one of the seller's units now (%(units)s): it may have been "
        "sold already.", unit=p.get("unit", "?"), units="、".join(p.get("units", ())) or "—"),
    Refusal.NOT_A_MULTI_UNIT_HEAD: lambda p, a: _(
        "This owner holds one unit: its transfer names no unit."),
    Refusal.BUYER_IS_SELLER: lambda p, a: _("The buyer is the seller: nothing changes hands."),
    Refusal.VOID_LATER_BALLOTS_FIRST: _later_ballots,
    Refusal.NOT_COUNTABLE: _not_countable,
    Refusal.ALREADY_CLOSED: lambda p, a: _("Voting is closed: nothing more can be entered."),
    Refusal.RESULT_BEFORE_CLOSE: lambda p, a: _("The result is published only after voting "
                                                "closes."),
    Refusal.RESULT_ALREADY_PUBLISHED: lambda p, a: _("The result is already published."),
    Refusal.FINAL_BEFORE_RESULT: lambda p, a: _("The final announcement follows the result."),
    Refusal.FINAL_ALREADY_PUBLISHED: lambda p, a: _("The final announcement is already "
                                                    "published."),
    Refusal.PROXY_ALREADY_REGISTERED: lambda p, a: _("This agent is already registered for "
                                                     "this owner."),
    Refusal.VOID_REASON_LENGTH: lambda p, a: _(
        "Give the reason in %(min)s to %(max)s characters (it is published in the ledger: no "
        "names).", min=p.get("min", "?"), max=p.get("max", "?")),
    Refusal.WRONG_BALLOT_MODE: lambda p, a: _(
        "This ballot is not of the kind this assembly uses (open or secret): reload the page "
        "and enter it again."),
    Refusal.BAD_BALLOT_PROOF: lambda p, a: _(
        "The encrypted ballot failed its check (item %(item)s): nothing was recorded. Reload "
        "the page and enter it again.", item=p.get("item") or "-"),
    Refusal.NOT_SECRET: lambda p, a: _("This assembly's ballots are open: it has no trustees."),
    Refusal.BAD_TRUSTEE_DOCUMENT: lambda p, a: _(
        "The trustees' documents do not fit this assembly (its number of trustees or "
        "threshold, or its ledger)."),
    Refusal.CEREMONY_NOT_FINAL: lambda p, a: _(
        "This assembly's key ceremony is not final yet: no secret ballot can be cast."),
}


def ledger_refusal(exc: LedgerError, action: str) -> str:
    """A ledger refusal of a committee entry, worded from its code and figures."""
    if exc.code is not None:
        return LEDGER_MESSAGES[exc.code](exc.params, action)
    if isinstance(exc, SignatureError):
        return _bad_signature(exc.params, action)
    return _("The entry is not well-formed. Reload the page and try again.")


ENTRY_MESSAGES: dict[EntryRefusal, Callable[[Params, str], str]] = {
    EntryRefusal.KEYS_NOT_TAKEN: lambda p, a: _window("key"),
    EntryRefusal.NOT_A_P256_KEY: lambda p, a: _("This browser sent a key that is not a P-256 "
                                                "public key."),
    EntryRefusal.KEY_OF_ANOTHER_MEMBER: lambda p, a: _("This key belongs to another committee "
                                                       "member."),
    EntryRefusal.NOT_YOUR_KEY: lambda p, a: _("This entry is not signed with your enrolled "
                                              "committee key."),
    EntryRefusal.UNIT_NOT_IN_ROSTER: lambda p, a: _(
        "There is no unit %(unit)s in the frozen roster. Check the building and unit number "
        "on the sheet.", unit=p.get("unit", "")),
    EntryRefusal.UNIT_NOT_VOTING: lambda p, a: _(
        "Unit %(unit)s does not vote in this assembly (parking and storage are not counted, "
        "or the building is outside the scope).", unit=p.get("unit", "")),
}


def entry_refusal(exc: EntryRefused, action: str) -> str:
    """A refusal of the service layer, worded from its code and figures."""
    return ENTRY_MESSAGES[exc.code](exc.params, action)


def _when(at) -> str:
    return local(at, "%m-%d %H:%M") if at else "?"


CAST_MESSAGES: dict[RefusalReason, Callable[[Params], str]] = {
    RefusalReason.EMPTY_BALLOT: lambda p: _("The ballot marks no item. Enter at least one "
                                            "choice as it is on the sheet."),
    RefusalReason.UNKNOWN_HEAD: lambda p: _("This unit does not vote in this assembly."),
    RefusalReason.UNKNOWN_ITEM: lambda p: _("The choice on item %(item)s is not one the notice "
                                            "offers.", item=p["item"]),
    RefusalReason.ITEM_OUT_OF_SCOPE: lambda p: _(
        "Item %(item)s is decided by the owners of other buildings; this owner holds no unit "
        "there. Leave the item blank.", item=p["item"]),
    RefusalReason.INVALID_CHOICE: lambda p: _("The choice on item %(item)s is not one the "
                                              "notice offers.", item=p["item"]),
    RefusalReason.UNKNOWN_CANDIDATE: lambda p: _("The choice on item %(item)s is not one the "
                                                 "notice offers.", item=p["item"]),
    RefusalReason.TOO_MANY_APPROVALS: lambda p: _("Too many candidates ticked on item "
                                                  "%(item)s: no more than the number of "
                                                  "seats.", item=p["item"]),
    RefusalReason.REVOTE_NOT_ALLOWED: lambda p: _(
        "This owner already has a ballot on item %(item)s and this assembly allows one ballot "
        "per owner.", item=p["item"]),
    RefusalReason.REVOTE_ALREADY_USED: lambda p: _(
        "This owner already changed their vote on item %(item)s once, the most this assembly "
        "allows.", item=p["item"]),
    RefusalReason.PAPER_ALREADY_COUNTED: lambda p: _(
        "A paper ballot of this owner entered on %(time)s already counts for item %(item)s; "
        "this assembly does not let a second one replace it.", time=_when(p["paper_at"]()),
        item=p["item"]),
    RefusalReason.ELECTRONIC_ALREADY_COUNTED: lambda p: _(
        "This owner already voted electronically on %(time)s (item %(item)s); under this "
        "assembly's rules that ballot stands, so the paper ballot is not counted.",
        time=_when(p["electronic_at"]()), item=p["item"]),
    RefusalReason.PROXY_NOT_ALLOWED: lambda p: _("The proxy rules of this assembly do not "
                                                 "allow this ballot."),
    RefusalReason.PROXY_WITHOUT_AGENT: lambda p: _("The proxy rules of this assembly do not "
                                                   "allow this ballot."),
    RefusalReason.PROXY_CAP_EXCEEDED: lambda p: _("The proxy rules of this assembly do not "
                                                  "allow this ballot."),
    RefusalReason.CO_OWNER_ALREADY_VOTED: lambda p: _(
        "Only co-owner %(who)s votes for this unit (recorded by the committee, or the first "
        "to vote); a ballot signed by another co-owner is not counted, on paper or by proxy "
        "either.", who=p["who"]() or "—"),
    RefusalReason.OUT_OF_ORDER: lambda p: _("Someone entered a ballot for this owner at the "
                                            "same moment. Reload the page and check before "
                                            "entering it again."),
    RefusalReason.UNIT_TRANSFERRED: lambda p: _("This unit was sold during the vote; from the "
                                                "transfer on, its buyer votes."),
    RefusalReason.SELLER_VOTED_BEFORE_TRANSFER: lambda p: _(
        "The seller voted on item %(item)s before the unit was transferred; that ballot "
        "stands. Leave the item blank.", item=p["item"]),
    RefusalReason.SOLD_UNIT_VOTE_STANDS: lambda p: _(
        "This owner voted on item %(item)s before selling a unit; that ballot stands for the "
        "units held then and can no longer be changed. Leave the item blank.", item=p["item"]),
}


def cast_refusal(exc: CastRefused, assembly_id: int, head_id: str) -> str:
    """A casting rule's refusal of a paper ballot, with when the owner already voted."""

    def first(paper: bool):
        return lambda: paper_ballots.first_ballot_at(db(), assembly_id, head_id, exc.item_id,
                                                     paper=paper)

    def who() -> str:
        if exc.voter is None:
            return ""
        return paper_ballots.co_owners(db(), assembly_id, head_id, hasher=instance.hasher(),
                                       cipher=instance.pii()).get(exc.voter, "")

    params = {"item": exc.item_id or "", "paper_at": first(True), "electronic_at": first(False),
              "who": who}
    return CAST_MESSAGES[exc.reason](params)
