"""Why a paper ballot, proxy or void was refused, in words a committee member can act on.

``voting`` and ``ledger`` explain refusals in English for logs and the
verifier; these are the same reasons for the console, translated, with the
facts that make them useful (when and how the owner already voted).
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ledger.entries import BALLOT, PAPER_BALLOT, parse_entry
from ledger.errors import BallotError, EntryError, LedgerError, SignatureError
from ledger.store.models import LedgerEntry
from voting.errors import CastRefused, RefusalReason
from web.committee.common import local
from web.database import db


def _first_ballot(assembly_id: int, head_id: str, item_id: str | None, kind: str):
    rows = db().execute(
        select(LedgerEntry.index, LedgerEntry.body, LedgerEntry.created_at).where(
            LedgerEntry.assembly_id == assembly_id, LedgerEntry.head_id == head_id,
            LedgerEntry.kind == kind, LedgerEntry.voided_by.is_(None))
        .order_by(LedgerEntry.index))
    for index, body, created_at in rows:
        choices = parse_entry(bytes(body), index).body["payload"]["choices"]
        if item_id is None or item_id in choices:
            return created_at
    return None


def cast_refusal(exc: CastRefused, assembly_id: int, head_id: str) -> str:
    r = exc.reason
    item = exc.item_id or ""
    if r is RefusalReason.ELECTRONIC_ALREADY_COUNTED:
        at = _first_ballot(assembly_id, head_id, exc.item_id, BALLOT)
        return _("This owner already voted electronically on %(time)s (item %(item)s); under "
                 "this assembly's rules that ballot stands, so the paper ballot is not counted.",
                 time=local(at, "%m-%d %H:%M") if at else "?", item=item)
    if r is RefusalReason.PAPER_ALREADY_COUNTED:
        at = _first_ballot(assembly_id, head_id, exc.item_id, PAPER_BALLOT)
        return _("A paper ballot of this owner entered on %(time)s already counts for item "
                 "%(item)s; this assembly does not let a second one replace it.",
                 time=local(at, "%m-%d %H:%M") if at else "?", item=item)
    if r is RefusalReason.REVOTE_NOT_ALLOWED:
        return _("This owner already has a ballot on item %(item)s and this assembly allows "
                 "one ballot per owner.", item=item)
    if r is RefusalReason.REVOTE_ALREADY_USED:
        return _("This owner already changed their vote on item %(item)s once, the most this "
                 "assembly allows.", item=item)
    if r is RefusalReason.ITEM_OUT_OF_SCOPE:
        return _("Item %(item)s is decided by the owners of other buildings; this owner holds "
                 "no unit there. Leave the item blank.", item=item)
    if r is RefusalReason.TOO_MANY_APPROVALS:
        return _("Too many candidates ticked on item %(item)s: no more than the number of "
                 "seats.", item=item)
    if r in (RefusalReason.INVALID_CHOICE, RefusalReason.UNKNOWN_CANDIDATE,
             RefusalReason.UNKNOWN_ITEM):
        return _("The choice on item %(item)s is not one the notice offers.", item=item)
    if r is RefusalReason.EMPTY_BALLOT:
        return _("The ballot marks no item. Enter at least one choice as it is on the sheet.")
    if r is RefusalReason.UNKNOWN_HEAD:
        return _("This unit does not vote in this assembly.")
    if r in (RefusalReason.PROXY_NOT_ALLOWED, RefusalReason.PROXY_CAP_EXCEEDED,
             RefusalReason.PROXY_WITHOUT_AGENT):
        return _("The proxy rules of this assembly do not allow this ballot.")
    if r is RefusalReason.CO_OWNER_ALREADY_VOTED:
        return _("Another co-owner of this unit already votes for it.")
    if r is RefusalReason.SELLER_VOTED_BEFORE_TRANSFER:
        return _("The seller voted on item %(item)s before the unit was transferred; that "
                 "ballot stands. Leave the item blank.", item=item)
    return _("The ballot was refused (%(code)s).", code=r.value)


def ledger_refusal(exc: LedgerError) -> str:
    text = str(exc)
    if isinstance(exc, SignatureError):
        return _("The signature did not verify: this browser's committee key is not the one "
                 "enrolled. Reload the page and try again.")
    if isinstance(exc, BallotError) and "closed" in text:
        return _("Voting is closed: nothing more can be entered.")
    if isinstance(exc, BallotError) and "window" in text:
        return _("Paper ballots can be entered only while voting is open.")
    if isinstance(exc, BallotError) and "ballot number" in text:
        return _("Someone entered a ballot for this owner at the same moment. Reload the page "
                 "and check before entering it again.")
    if isinstance(exc, EntryError) and "not a ballot that counts" in text:
        return _("That ballot is no longer counted (already voided or replaced).")
    return _("The ledger refused this entry: %(detail)s", detail=text)
