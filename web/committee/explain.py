"""The assembly settings in plain words: what each one means, its legal default and source."""

from __future__ import annotations

from flask_babel import gettext as _

from voting.settings import AssemblySettings


def revote_text(value: str) -> str:
    return {
        "until_close": _("An owner may change their vote until voting closes; the last ballot "
                         "counts (every ballot stays in the ledger)."),
        "once": _("An owner may change their vote once before voting closes (as in Wuhan)."),
        "none": _("Each owner votes once per item; no changes (as in Beijing)."),
    }[value]


def precedence_text(value: str) -> str:
    return {
        "first_cast": _("If an owner votes both on paper and online, the first ballot stands "
                        "and the second is refused with a message."),
        "paper": _("A paper ballot replaces the owner's online vote; an online vote after a "
                   "paper ballot is refused."),
        "electronic": _("An online vote replaces the owner's paper ballot; a paper ballot "
                        "after an online vote is refused."),
    }[value]


def explain(settings: AssemblySettings) -> list[tuple[str, str]]:
    """(setting, what it means here) for the notice, the console and the announcement."""
    cap = settings.proxy_cap
    return [
        (_("Who votes"), _("The owners of buildings %(b)s; each item's totals are theirs.",
                           b="、".join(sorted(settings.scope_buildings)))
         if settings.scope_buildings else _("All owners of the community.")),
        (_("Parking spaces"), _("Parking spaces and storage rooms count: their area, and their "
                                "owners as owners.") if settings.count_parking else
         _("Parking spaces and storage rooms do not count (the default): no area, no vote.")),
        (_("Changing a vote"), revote_text(settings.revote.value)),
        (_("Paper and online"), precedence_text(settings.precedence.value)),
        (_("Proxies"), _("No proxies in this assembly.") if cap == 0 else
         _("One agent may represent at most %(cap)s owners.", cap=cap) if cap is not None else
         _("An agent may represent any number of owners.")),
        (_("Owners who do not vote"),
         _("Owners who do not vote join the majority (从众), as the assembly rules say; they "
           "never count toward the quorum.") if settings.non_voters_join_majority else
         _("Owners who do not vote are not counted for either side (the default).")),
        (_("Notice period"), _("%(days)s days between the notice and the opening of voting.",
                               days=settings.notice_days)
         + (" " + _("Extraordinary meeting.") if settings.extraordinary else "")),
        (_("Objections"), _("After the announcement, owners may raise objections for "
                            "%(days)s days.", days=settings.objection_days)),
        (_("Electing the committee"), election_text(settings)),
        (_("Announcing the result"), _("The result is announced within %(days)s days of the "
                                       "close of voting.", days=settings.announce_within_days)),
    ]


def election_text(settings: AssemblySettings) -> str:
    """The election settings in one sentence: size, ranking, competitive elections."""
    parts = [_("The committee has %(n)s members.", n=settings.committee_size)
             if settings.committee_size is not None else
             _("The committee's size is not set here (5 to 11, an odd number).")]
    parts.append(_("Candidates are ranked by approving area, then approving owners.")
                 if settings.ranking.value == "area_then_heads" else
                 _("Candidates are ranked by approving owners, then approving area (the "
                   "default)."))
    if settings.competitive_elections:
        parts.append(_("Elections list more candidates than seats (差额选举)."))
    return " ".join(parts)
