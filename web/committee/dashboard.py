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

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from identity.errors import SmsError
from identity.pii import account_phone_purpose
from identity.store.models import Community
from identity.store.smsoutbox import make_gateway
from ledger.errors import LedgerError
from ledger.store import logstore
from ledger.store.proceedings import advance_due, close_voting, open_voting
from ownervote.audit import AuditEvent, record
from voting.areas import from_hundredths
from voting.errors import TransitionRefused
from voting.lifecycle import Status
from voting.matters import min_to_reach_quorum
from voting.store.models import Assembly
from web import services
from web.access import roles_required
from web.charts import participation_gauge
from web.committee import bp, clock
from web.committee.common import (
    MANAGERS,
    local,
    managed_assembly,
    member_actor,
    owner_url,
    reason_not,
)
from web.committee.figures import (
    accounts_of,
    building_parts,
    item_parts,
    non_voters,
    overall_part,
    snapshot,
)
from web.database import db

REMIND_AFTER = dt.timedelta(hours=24)
REMINDER_ACTION = "assembly.reminder"


def _live(assembly_id: int) -> Assembly:
    a = managed_assembly(assembly_id)
    if a.status == Status.DRAFT.value:
        flash(_("Publish the notice first: the dashboard follows a published assembly."), "error")
        abort(redirect(url_for("committee.assembly", assembly_id=a.id)))
    return a


@bp.get("/a/<int:assembly_id>/dashboard")
@roles_required(*MANAGERS)
def dashboard(assembly_id: int):
    a = _live(assembly_id)
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
    closed = a.status in (Status.CLOSED.value, Status.TALLIED.value, Status.ANNOUNCED.value)
    quorum_needs = {}
    for item_id, part in parts.items():
        quorum_needs[item_id] = (min_to_reach_quorum(part.heads, part.total_heads),
                                 from_hundredths(min_to_reach_quorum(part.area, part.total_area)))
    now = clock.now()
    return render_template(
        "committee/dashboard.html", a=a, parts=parts, gauges=gauges, overall=overall,
        overall_gauges=overall_gauges, buildings=building_parts(s), quorum_needs=quorum_needs,
        closed=closed, items={str(i.position): i for i in a.items},
        open_reason=reason_not(a, Status.OPEN, now), close_reason=reason_not(a, Status.CLOSED, now),
        now=now)


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
    now = clock.now()
    reason = reason_not(a, target, now)
    if reason is not None:
        flash(reason, "error")
        return back
    session = db()
    session.commit()
    logstore.begin_write(session)
    a = session.get(Assembly, assembly_id)
    try:
        step = open_voting if target is Status.OPEN else close_voting
        step(session, a, services.log_signer(), now=now, actor=member_actor())
        session.commit()
    except (TransitionRefused, LedgerError) as exc:
        session.rollback()
        flash(_("Nothing changed: %(detail)s", detail=str(exc)), "error")
        return back
    flash(_("Voting is open.") if target is Status.OPEN else
          _("Voting is closed. Count the votes on the results page."), "ok")
    return back


@bp.post("/advance")
@roles_required(*MANAGERS)
def advance():
    """Open and close every assembly whose announced time has come (also run by a timer)."""
    session = db()
    session.commit()
    logstore.begin_write(session)
    changed = advance_due(session, services.log_signer(), clock.now())
    session.commit()
    flash(_("%(n)s assemblies moved on at their announced times.", n=len(changed)), "ok")
    return redirect(request.referrer if _same_site(request.referrer) else
                    url_for("committee.index"))


def _same_site(target: str | None) -> bool:
    return bool(target) and target.startswith(request.host_url)


def _last_reminders(a: Assembly) -> dict[str, dt.datetime]:
    rows = db().execute(select(AuditEvent.detail, AuditEvent.at).where(
        AuditEvent.action == REMINDER_ACTION, AuditEvent.subject == f"assembly:{a.id}"))
    last: dict[str, dt.datetime] = {}
    for detail, stored_at in rows:
        head = (detail or {}).get("head")
        # the console's clock when sent (differs from the row's time only on a test clock)
        at = dt.datetime.fromisoformat(detail["sent_at"]) if "sent_at" in detail else stored_at
        if head and (head not in last or at > last[head]):
            last[head] = at
    return last


@bp.get("/a/<int:assembly_id>/non-voters")
@roles_required(*MANAGERS)
def nonvoters(assembly_id: int):
    a = _live(assembly_id)
    s = snapshot(a)
    building = request.args.get("building") or None
    owed = non_voters(a, s, building)
    reachable = {o.head_id: len(accounts_of(o.owner_ids)) for o in owed}
    sent = db().execute(select(AuditEvent.at, AuditEvent.detail).where(
        AuditEvent.action == REMINDER_ACTION, AuditEvent.subject == f"assembly:{a.id}")
        .order_by(AuditEvent.id.desc()).limit(50)).all()
    buildings = sorted({u.building or "" for u in s.roster.units.values()},
                       key=lambda b: (len(b), b))
    return render_template(
        "committee/nonvoters.html", a=a, owed=owed, reachable=reachable, building=building,
        buildings=buildings, last=_last_reminders(a), sent=sent,
        can_remind=a.status == Status.OPEN.value, remind_after=REMIND_AFTER, now=clock.now())


@bp.post("/a/<int:assembly_id>/reminders")
@roles_required(*MANAGERS)
def remind(assembly_id: int):
    a = _live(assembly_id)
    building = request.form.get("building") or None
    back = redirect(url_for("committee.nonvoters", assembly_id=a.id, building=building))
    if a.status != Status.OPEN.value:
        flash(_("Reminders can be sent only while voting is open."), "error")
        return back
    now = clock.now()
    last = _last_reminders(a)
    s = snapshot(a)
    community = db().get(Community, a.community_id)
    text = _("[Owners' assembly] %(community)s: voting on \"%(title)s\" closes %(closes)s and "
             "we have not received your vote. Vote at %(url)s", community=community.name,
             title=a.title, closes=local(a.closes_at), url=owner_url(a.id))
    sent = skipped = unreachable = 0
    try:
        gateway = make_gateway(services.settings(), db())
        for owed in non_voters(a, s, building):
            previous = last.get(owed.head_id)
            if previous is not None and now - previous < REMIND_AFTER:
                skipped += 1
                continue
            accounts = accounts_of(owed.owner_ids)
            if not accounts:
                unreachable += 1
                continue
            for account in accounts:
                phone = services.pii().decrypt_text(account.phone_enc,
                                                    purpose=account_phone_purpose(account.key))
                gateway.send(phone, text)
                record(db(), member_actor(), REMINDER_ACTION, f"assembly:{a.id}",
                       head=owed.head_id, phone=account.phone_masked, sent_at=now.isoformat(),
                       units=[u for u, _a in owed.units])
                sent += 1
        db().commit()
    except SmsError as exc:
        db().commit()  # what was sent before the failure stays recorded
        flash(_("The SMS gateway failed after %(n)s messages: %(detail)s", n=sent,
                detail=str(exc)), "error")
        return back
    flash(_("%(sent)s reminders sent; %(skipped)s owners were reminded less than 24 hours ago; "
            "%(unreachable)s have no verified phone (remind them on paper or in person).",
            sent=sent, skipped=skipped, unreachable=unreachable), "ok")
    return back
