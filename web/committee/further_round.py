"""A further round (另行选举) for the seats an election left open: a new draft, one click.

The result page offers it under every counted election item that left seats open
(``ownervote.services.further_rounds``); the new draft opens for the committee to check,
complete and give its notice like any other.
"""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _

from ownervote.services import further_rounds
from ownervote.services.assemblies import ElectionOutsideRules
from ownervote.services.further_rounds import NoFurtherRound
from web.access import roles_required
from web.committee import bp
from web.committee.assemblies import election_rules_message
from web.committee.console import MANAGERS, managed_assembly, member_actor
from web.database import db


def no_further_round(exc: NoFurtherRound) -> str:
    return {
        "not_counted": lambda: _("Count the votes first: a further round is prepared from "
                                 "the result."),
        "not_an_election": lambda: _("Item %(n)s is not an election.", n=exc.position),
        "all_seats_filled": lambda: _("Every seat of item %(n)s is filled: no further round "
                                      "is needed.", n=exc.position),
    }[exc.why]()


@bp.post("/a/<int:assembly_id>/items/<int:position>/further-round")
@roles_required(*MANAGERS)
def further_round(assembly_id: int, position: int):
    a = managed_assembly(assembly_id)
    try:
        prepared = further_rounds.prepare(
            db(), a.id, position=position,
            title=_("Further round (另行选举): %(title)s", title=a.title)[:200],
            description=_("A further round of item %(n)s of assembly %(id)s, for the seats it "
                          "left open.", n=position, id=a.id),
            actor=member_actor())
    except NoFurtherRound as exc:
        flash(no_further_round(exc), "error")
        return redirect(url_for("committee.results", assembly_id=a.id))
    except ElectionOutsideRules as exc:
        flash(election_rules_message(exc), "error")
        return redirect(url_for("committee.results", assembly_id=a.id))
    flash(_("Draft saved: a further round for %(seats)s seat(s) among %(names)s. Check it, "
            "add documents and the voting window, then publish its notice.",
            seats=prepared.seats, names="、".join(prepared.candidates)), "ok")
    return redirect(url_for("committee.assembly", assembly_id=prepared.assembly_id))
