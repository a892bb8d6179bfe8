"""Plain-words messages for owners: verification errors, refused ballots, the revote policy.

The domain packages raise typed errors with stable codes and English detail
for logs; an owner reads these instead (Chinese by default).  Pages and the
JSON API use the same texts.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from identity.errors import CodeInvalid, ResendTooSoon, Throttled, VerificationError
from voting.errors import CastRefused, RefusalReason
from voting.matters import Matter, Threshold
from web.i18n import current_lang
from web.templating import localtime

VERIFICATION = {
    "not_matched": _l("The name, ID number and home do not match the real-estate register. "
                      "Please check each one against your property certificate. If your home "
                      "is not registered yet, ask the owners' committee to add you."),
    "invalid_id_number": _l("This ID number is not valid. Please check every digit "
                            "(the last one may be X)."),
    "invalid_phone": _l("Please enter an 11-digit mainland mobile number."),
    "expired": _l("This check has expired. Please start again from the first step."),
    "organisation_owner": _l("A company or organisation votes through its legal "
                             "representative, whom the owners' committee records. Please "
                             "contact the committee."),
    "verification_failed": _l("Please give the certificate number, or the building and the "
                              "unit number."),
}

REFUSALS = {
    RefusalReason.EMPTY_BALLOT: _l("Please make a choice on at least one item."),
    RefusalReason.UNKNOWN_HEAD: _l("Your home is not on this assembly's list of owners."),
    RefusalReason.UNKNOWN_ITEM: _l("The ballot names an item that is not on the notice. "
                                   "Please reload the page and vote again."),
    RefusalReason.ITEM_OUT_OF_SCOPE: _l(
        "\u201c%(item)s\u201d is decided only by the owners of some buildings, and you hold "
        "no home there."),
    RefusalReason.INVALID_CHOICE: _l(
        "The choice on \u201c%(item)s\u201d is not valid. Please reload the page and vote "
        "again."),
    RefusalReason.UNKNOWN_CANDIDATE: _l(
        "A chosen candidate is not on the list of \u201c%(item)s\u201d."),
    RefusalReason.TOO_MANY_APPROVALS: _l(
        "On \u201c%(item)s\u201d you chose more candidates than there are seats."),
    RefusalReason.REVOTE_NOT_ALLOWED: _l(
        "This assembly does not allow changing a vote. Your first ballot on "
        "\u201c%(item)s\u201d stands."),
    RefusalReason.REVOTE_ALREADY_USED: _l(
        "You have already changed your vote on \u201c%(item)s\u201d once, which is all this "
        "assembly allows. Your last ballot stands."),
    RefusalReason.PAPER_ALREADY_COUNTED: _l(
        "A paper ballot for your home on \u201c%(item)s\u201d was recorded first, and it "
        "stands."),
    RefusalReason.ELECTRONIC_ALREADY_COUNTED: _l(
        "An online ballot for your home on \u201c%(item)s\u201d was recorded first, and it "
        "stands."),
    RefusalReason.PROXY_NOT_ALLOWED: _l("This assembly does not accept proxies."),
    RefusalReason.PROXY_WITHOUT_AGENT: _l("A proxy ballot must name its agent."),
    RefusalReason.PROXY_CAP_EXCEEDED: _l("This agent already represents as many owners as "
                                         "the assembly allows."),
    RefusalReason.CO_OWNER_ALREADY_VOTED: _l("Another co-owner of your home (%(who)s) already "
                                             "votes for it. Only the owners' committee can "
                                             "record a different co-owner."),
    RefusalReason.OUT_OF_ORDER: _l("This ballot is out of order. Please reload the page and "
                                   "vote again."),
    RefusalReason.UNIT_TRANSFERRED: _l("This home was sold during the vote. From the "
                                       "registration of the transfer on, its buyer votes for "
                                       "it."),
    RefusalReason.SELLER_VOTED_BEFORE_TRANSFER: _l(
        "The former owner voted on \u201c%(item)s\u201d before the home was transferred, and "
        "that ballot stands."),
    RefusalReason.SOLD_UNIT_VOTE_STANDS: _l(
        "You voted on \u201c%(item)s\u201d before one of your units was sold. That ballot "
        "stands for the units you held then and can no longer be changed."),
}

LEDGER = {
    "seq_conflict": _l("Another ballot for your home arrived just before this one. Please "
                       "reload the page, check your choices and vote again."),
    "wrong_assembly": _l("This ballot was signed for another assembly."),
    "not_open": _l("Voting has not started yet."),
    "closed": _l("Voting has closed. No more ballots are accepted."),
    "key_not_enrolled": _l("This phone's voting key is not registered for this assembly. "
                           "Please reload the page."),
    "key_revoked": _l("This phone's voting key was replaced by a newer one (for example after "
                      "you verified on another phone). Please reload the page."),
    "wrong_head": _l("This phone's voting key belongs to another home."),
    "bad_signature": _l("The ballot's signature does not check out. Please reload the page "
                        "and vote again."),
    "no_log": _l("This assembly has no ledger yet."),
    "wrong_ballot_mode": _l("This ballot is not of the kind this assembly uses (open or "
                            "secret). Please reload the page and vote again."),
    "ceremony_not_final": _l("This assembly's key ceremony is not final yet: no secret ballot "
                             "can be cast."),
    "bad_ballot_proof": _l("The encrypted ballot failed its check (item %(item)s: %(where)s). "
                           "Nothing was recorded. Please reload the page and vote again."),
}

REVOTE = {
    "until_close": _l("You may change your vote as often as you like until voting closes. "
                      "Only your last ballot counts; earlier ones stay in the public record "
                      "but no longer count."),
    "once": _l("You may change your vote once on each item before voting closes. Your last "
               "ballot counts; earlier ones stay in the public record but no longer count."),
    "none": _l("You can vote only once on each item: your first ballot is final."),
}

HOLDER = {
    "self": _l("for yourself"),
    "guardian": _l("as guardian"),
    "legal_representative": _l("as legal representative"),
}

BASIS = {
    "first_verified": _l("the first co-owner to verify"),
    "committee": _l("recorded by the owners' committee"),
    "transferred": _l("sold during the vote: the buyer votes"),
    "buyer": _l("bought during the vote"),
}

CHOICES = {"agree": _l("Agree"), "oppose": _l("Oppose"), "abstain": _l("Abstain")}


def verification_message(exc: VerificationError) -> str:
    """What to tell the person, including when they may try again."""
    if isinstance(exc, Throttled):
        return _("Too many attempts. For your safety, please try again after %(time)s.",
                 time=localtime(exc.retry_at, "%H:%M" if _today(exc.retry_at) else
                                "%Y-%m-%d %H:%M"))
    if isinstance(exc, ResendTooSoon):
        seconds = max(1, int((exc.retry_at - dt.datetime.now(dt.UTC)).total_seconds()) + 1)
        return _("A code was just sent. You can ask for a new one in %(n)s seconds.", n=seconds)
    if isinstance(exc, CodeInvalid):
        if exc.attempts_left <= 0:
            return _("The code was wrong too many times. Please start again from the first "
                     "step.")
        return _("The code is not right. You have %(n)s more tries.", n=exc.attempts_left)
    return str(VERIFICATION.get(exc.code, VERIFICATION["verification_failed"]))


def too_many_ballots_message(retry_at: dt.datetime) -> str:
    """A home used its casting allowance (ledger.allowance): when it may vote again."""
    return _("Your home has changed its vote many times in a short while. To keep the service "
             "available for everyone, please vote again after %(time)s.",
             time=localtime(retry_at, "%H:%M" if _today(retry_at) else "%Y-%m-%d %H:%M"))


def too_many_keys_message(retry_at: dt.datetime) -> str:
    """An owner set up voting keys too often in one assembly (ledger.allowance)."""
    return _("This phone has been set up for voting in this assembly too many times today. "
             "Please try again after %(time)s.",
             time=localtime(retry_at, "%H:%M" if _today(retry_at) else "%Y-%m-%d %H:%M"))


def _today(at: dt.datetime) -> bool:
    return localtime(at, "%Y-%m-%d") == localtime(dt.datetime.now(dt.UTC), "%Y-%m-%d")


def refusal_message(exc: CastRefused, item_titles: dict[str, str], who: str = "") -> str:
    template = REFUSALS.get(exc.reason)
    if template is None:
        return str(LEDGER["bad_signature"])
    item = item_titles.get(exc.item_id or "", exc.item_id or "")
    return str(template) % {"item": item, "who": who or "*"}


def matter_label(matter: int) -> str:
    m = Matter(matter)
    return m.en if current_lang() == "en" else m.zh


def threshold_label(matter: int) -> str:
    if Matter(matter).threshold is Threshold.SPECIAL:
        return _("Special matter: needs at least 3/4 of the voting area and of the voting "
                 "owners")
    return _("Ordinary matter: needs more than half of the voting area and of the voting "
             "owners")
