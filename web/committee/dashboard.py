"""The live dashboard: participation (never choices while voting is open), who has not
voted, SMS reminders, and opening/closing at the announced times.

Decision (documented in docs/committee-guide.md): while voting is open the
committee sees *who took part*, per item, per building and against the 2/3
quorum lines, and what participation the quorum still needs — never how
anyone voted or how the vote is going.  Running tallies would let a committee
(or anyone looking over its shoulder) press particular owners; the law does
not forbid them, but nothing a committee must do needs them.  Choices, the
"to pass" figures and the bars appear only once voting is closed.
"""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ledger.errors import LedgerError
from ownervote.services import deadlines, proceedings, reminders, trust_anchors
from ownervote.services import figures as live
from ownervote.services.assemblies import community
from voting.areas import from_hundredths
from voting.errors import TransitionRefused
from voting.lifecycle import Status
from voting.matters import min_to_reach_quorum
from web import instance
from web.access import roles_required
from web.charts import participation_gauge
from web.committee import bp, clock
from web.committee.console import (
    MANAGERS,
    communities,
    local,
    managed_assembly,
    member_actor,
    owner_url,
)
from web.committee.figures import (
    building_parts,
    item_parts,
    non_voters,
    overall_part,
    snapshot,
)
from web.committee.lifecycle_messages import step_failure, transition_message, why_not_yet
from web.database import db

CLOSED = (Status.CLOSED.value, Status.TALLIED.value, Status.ANNOUNCED.value)


def _live(assembly_id: int):
    a = managed_assembly(assembly_id)
    if a.status == Status.DRAFT.value:
        flash(_("Publish the notice first: the dashboard follows a published assembly."), "error")
        abort(redirect(url_for("committee.assembly", assembly_id=a.id)))
    return a


def _figures(a) -> dict:
    """What the dashboard's figures (committee/_dashboard_live.html) are drawn from."""
    s = snapshot(a)
    parts = item_parts(s)
    gauges = {}
    for item_id, part in parts.items():
        gauges[item_id] = (
            participation_gauge(_("Area"), part.area_share),
            participation_gauge(_("Owners"), part.heads_share),
        )
    overall = overall_part(s)
    overall_gauges = (participation_gauge(_("Area"), overall.area_share),
                      participation_gauge(_("Owners"), overall.heads_share))
    quorum_needs = {}
    for item_id, part in parts.items():
        quorum_needs[item_id] = (min_to_reach_quorum(part.heads, part.total_heads),
                                 from_hundredths(min_to_reach_quorum(part.area, part.total_area)))
    return {"a": a, "parts": parts, "gauges": gauges, "overall": overall,
            "overall_gauges": overall_gauges, "buildings": building_parts(s),
            "quorum_needs": quorum_needs, "closed": a.status in CLOSED,
            "items": {str(i.position): i for i in a.items}, "now": clock.now()}


@bp.get("/a/<int:assembly_id>/dashboard")
@roles_required(*MANAGERS)
def dashboard(assembly_id: int):
    a = _live(assembly_id)
    figures = _figures(a)
    now = figures["now"]
    gap = trust_anchors.missing_cosignatures(db(), a.id)
    return render_template(
        "committee/dashboard.html", **figures,
        open_reason=why_not_yet(a, Status.OPEN, now),
        close_reason=why_not_yet(a, Status.CLOSED, now),
        deadline=deadlines.announcement_deadline(a, now),
        witness_gap=gap, witness_gap_overdue=gap is not None and trust_anchors.overdue(gap, now),
        refresh_seconds=instance.settings().dashboard_refresh_seconds)


@bp.get("/a/<int:assembly_id>/dashboard/live")
@roles_required(*MANAGERS)
def dashboard_live(assembly_id: int):
    """The open dashboard's figures, fetched again every few seconds by
    static/js/committee-live.js: the assembly's status and the figures' HTML."""
    a = _live(assembly_id)
    response = jsonify({"status": a.status,
                        "html": render_template("committee/_dashboard_live.html",
                                                **_figures(a))})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/a/<int:assembly_id>/open")
@roles_required(*MANAGERS)
def open_(assembly_id: int):
    return _move(assembly_id, Status.OPEN)


@bp.post("/a/<int:assembly_id>/close")
@roles_required(*MANAGERS)
def close(assembly_id: int):
    return _move(assembly_id, Status.CLOSED)


def _move(assembly_id: int, target: Status):
    a = managed_assembly(assembly_id)
    back = redirect(url_for("committee.dashboard", assembly_id=a.id))
    step = proceedings.open_voting if target is Status.OPEN else proceedings.close_voting
    try:
        step(db(), a.id, signer=instance.log_signer(), now=clock.now(), actor=member_actor())
    except TransitionRefused as exc:
        flash(transition_message(exc), "error")
        return back
    except LedgerError as exc:
        flash(_("Nothing changed: %(detail)s", detail=step_failure(exc)), "error")
        return back
    flash(_("Voting is open.") if target is Status.OPEN else
          _("Voting is closed. Count the votes on the results page."), "ok")
    return back


@bp.post("/advance")
@roles_required(*MANAGERS)
def advance():
    """Open and close every assembly whose announced time has come (also run by a timer)."""
    back = redirect(request.referrer if _same_site(request.referrer) else
                    url_for("committee.index"))
    try:
        # the member's own community's assemblies (every community's for an administrator)
        changed = proceedings.advance_due(db(), signer=instance.log_signer(), now=clock.now(),
                                          community_ids=[c.id for c in communities()])
    except TransitionRefused as exc:
        flash(_("Nothing changed: %(detail)s", detail=transition_message(exc)), "error")
        return back
    except LedgerError as exc:
        flash(_("Nothing changed: %(detail)s", detail=step_failure(exc)), "error")
        return back
    flash(_("%(n)s assemblies moved on at their announced times.", n=len(changed)), "ok")
    return back


def _same_site(target: str | None) -> bool:
    return bool(target and target.startswith(request.host_url))


@bp.get("/a/<int:assembly_id>/non-voters")
@roles_required(*MANAGERS)
def nonvoters(assembly_id: int):
    a = _live(assembly_id)
    s = snapshot(a)
    building = request.args.get("building") or None
    owed = non_voters(a, s, building)
    buildings = sorted({u.building or "" for u in s.roster.units.values()},
                       key=lambda b: (len(b), b))
    return render_template(
        "committee/nonvoters.html", a=a, owed=owed, reachable=live.reachable(db(), owed),
        building=building, buildings=buildings, last=reminders.last_reminded(db(), a.id),
        sent=reminders.recent(db(), a.id),
        remind_why=transition_message(reminders.refusal(a)), remind_after=reminders.REMIND_AFTER,
        now=clock.now())


@bp.post("/a/<int:assembly_id>/reminders")
@roles_required(*MANAGERS)
def remind(assembly_id: int):
    a = _live(assembly_id)
    building = request.form.get("building") or None
    back = redirect(url_for("committee.nonvoters", assembly_id=a.id, building=building))
    place = community(db(), a.community_id)
    text = _("[Owners' assembly] %(community)s: voting on \"%(title)s\" closes %(closes)s and "
             "we have not received your vote. Vote at %(url)s",
             community=place.name if place else "", title=a.title, closes=local(a.closes_at),
             url=owner_url(a.id))
    try:
        done = reminders.send(db(), a.id, building=building, text=text,
                              settings=instance.settings(), cipher=instance.pii(),
                              now=clock.now(), actor=member_actor())
    except TransitionRefused as exc:
        flash(transition_message(exc), "error")
        return back
    except reminders.GatewayFailed as exc:
        flash(_("The SMS gateway failed after %(n)s messages: %(detail)s", n=exc.sent,
                detail=exc.detail), "error")
        return back
    flash(_("%(sent)s reminders sent; %(skipped)s owners were reminded less than 24 hours ago; "
            "%(unreachable)s have no verified phone (remind them on paper or in person).",
            sent=done.sent, skipped=done.skipped, unreachable=done.unreachable), "ok")
    return back
