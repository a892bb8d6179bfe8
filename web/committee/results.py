"""Counting (计票), the announcement (公告) with its objection period, and its public pages."""

from __future__ import annotations

from fractions import Fraction

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ledger.errors import LedgerError
from ownervote.services import bundles, deadlines, proceedings, trustee_documents
from ownervote.services import results as counted
from ownervote.services.errors import NotFound
from voting.errors import TallyError, TransitionRefused
from voting.lifecycle import Status
from voting.matters import Matter
from voting.textlimits import LIMITS, TextField
from web import instance, pdf, pdfcache
from web.access import public, roles_required
from web.charts import result_bars
from web.committee import bp, clock, public_bp
from web.committee.console import (
    MANAGERS,
    absolute_url,
    local,
    managed_assembly,
    member_actor,
)
from web.committee.explain import explain
from web.committee.lifecycle_messages import step_failure, transition_message, why_not_yet
from web.committee.notice import pdf_labels, threshold_text
from web.database import db
from web.i18n import current_lang

COUNTED = (Status.TALLIED.value, Status.ANNOUNCED.value)


def _share(part: dict, whole: dict, key: str) -> Fraction:
    total = Fraction(whole[key])
    return Fraction(part[key]) / total if total else Fraction(0)


def _shares(r: dict, key: str) -> tuple[Fraction, Fraction, Fraction]:
    """The agree, oppose and abstain shares of the participants' ``key`` (area or heads)."""
    return (_share(r["agree"], r["participating"], key),
            _share(r["oppose"], r["participating"], key),
            _share(r["abstain"], r["participating"], key))


def _pct(value: Fraction) -> str:
    return f"{float(value * 100):.1f}%"


def verdict(r: dict) -> str:
    """Why the item passed or not, naming the dimension that decided it."""
    if not r["quorum_met"]:
        missing = [w for w, ok in ((_("area"), r["quorum"]["area"]),
                                   (_("owners"), r["quorum"]["heads"])) if not ok]
        return _("Not passed: fewer than 2/3 took part (%(which)s).", which="、".join(missing))
    if r.get("election") is not None:
        return election_verdict(r["election"])
    approval = r["approval"] or {"area": False, "heads": False}
    if r["passed"]:
        return _("Passed: the required share agreed in area and in owners.")
    missing = [w for w, ok in ((_("area"), approval["area"]), (_("owners"), approval["heads"]))
               if not ok]
    return _("Not passed: not enough agreed (%(which)s).", which="、".join(missing))


def election_verdict(election: dict) -> str:
    """What an election achieved, in words: each status of docs/rules.md section 5."""
    status = election["status"]
    open_seats = election.get("unfilled_seats", 0)
    return {
        "elected": lambda: _("Elected: every seat is filled."),
        "partly_elected": lambda: _(
            "Partly elected: %(n)s seat(s) remain unfilled, the committee is not complete; a "
            "further round (另行选举) fills them.", n=open_seats),
        "tie_for_last_seat": lambda: _(
            "A tie for the last seat(s): the tie elects nobody to %(n)s seat(s); the committee "
            "is not complete until a further round (另行选举) fills them.", n=open_seats),
        "failed": lambda: _("Nobody elected: no candidate reached more than half of both "
                            "area and owners; a further round (另行选举) is needed."),
        "quorum_not_met": lambda: _("Nobody elected: fewer than 2/3 took part."),
    }.get(status, lambda: status)()


def result_items(a) -> list[dict]:
    titles = {str(i.position): i for i in a.items}
    out = []
    for r in (a.result or {}).get("items", []):
        item = titles[r["id"]]
        figures = {}
        for key in ("total", "participating", "agree", "oppose", "abstain"):
            m = dict(r[key])
            if key not in ("total", "participating"):
                m["share"] = " / ".join((_pct(_share(r[key], r["participating"], "area")),
                                         _pct(_share(r[key], r["participating"], "heads"))))
            elif key == "participating":
                m["share"] = " / ".join((_pct(_share(r[key], r["total"], "area")),
                                         _pct(_share(r[key], r["total"], "heads"))))
            if r.get("election") is not None and key in ("agree", "oppose"):
                continue
            figures[key] = m
        election = r.get("election")
        if election is not None:
            election = dict(election)
            if election.get("tie"):
                election["tie_text"] = _("Tied for %(seats)s seat(s): %(names)s",
                                         seats=election["tie"]["seats"],
                                         names="、".join(election["tie"]["candidates"]))
            invalid = (election.get("invalid") or {}).get("heads", 0)
            if invalid:
                election["invalid_text"] = _(
                    "%(n)s invalid (over-marked or unreadable) paper ballot(s): they took part "
                    "and count toward the quorum, but for no candidate.", n=invalid)
            election["further_round"] = election.get("unfilled_seats", 0) > 0
        labels = (_("Agree"), _("Oppose"), _("Abstain"))
        bars = None
        if election is None:
            bars = [result_bars(_("Area"), *_shares(r, "area"), labels),
                    result_bars(_("Owners"), *_shares(r, "heads"), labels)]
        out.append({"position": item.position, "title": item.title, "matter": item.matter,
                    "matter_zh": Matter(item.matter).zh, "threshold": threshold_text(item.matter),
                    "figures": figures, "quorum_met": r["quorum_met"], "passed": r["passed"],
                    "verdict": verdict(r), "election": election, "bars": bars,
                    "joined": r.get("non_voters_joined"), "needs": r.get("needs")})
    return out


def objections(a) -> list[dict]:
    return [{"at": local(o.at), "text": o.text, "late": o.late}
            for o in counted.objections(db(), a.id, cipher=instance.pii())]


def announcement_context(a) -> dict:
    facts = counted.announcement_facts(db(), a)
    return {
        "assembly": a, "title": a.title, "community": facts.community_name,
        "announced_at": local(a.announced_at), "opens_at": local(a.opens_at),
        "closes_at": local(a.closes_at), "items": result_items(a),
        "voters": [(u, f"{area:.2f}") for u, area in facts.voters],
        "objection_until": local(a.objection_until),
        "objection_text": _("Owners who disagree with this result may raise an objection with "
                            "the owners' committee until %(until)s. A decision can be "
                            "challenged in court within one year (SPC interpretation art. 12).",
                            until=local(a.objection_until)),
        **_bundle(a),
        "rules": explain(facts.settings),
    }


def _bundle(a) -> dict:
    """How the announcement tells readers to recount: a secret assembly's bundle is public
    (:func:`ownervote.services.bundles.is_public`), so the announcement links it."""
    if bundles.is_public(a):
        return {"bundle_url": absolute_url(url_for("auditor.bundle", assembly_id=a.id)),
                "verify_text": " ".join(filter(None, (_(
                    "This assembly voted by secret ballot: the ledger holds only encrypted "
                    "ballots and shows no home's choice. Anyone can download the audit "
                    "bundle at the address below and recount the result with the "
                    "independent verifier."), _decrypted_by(a))))}
    return {"bundle_url": None,
            "verify_text": _(
                "Every ballot is in the assembly's ledger. Owners of the community (signed "
                "in), the owners' committee, the street office and auditors can download "
                "the audit bundle and recount it with the independent verifier; the "
                "ledger's checkpoints are public.")}


def _decrypted_by(a) -> str:
    """Which trustees decrypted a secret assembly's totals, by number and name as the
    notice lists them ("" before any decryption)."""
    view = trustee_documents.decryptions(db(), a.id)
    if view is None:
        return ""
    separator = ", " if current_lang() == "en" else "、"
    names = separator.join(f"{t.index} {t.name}" for t in view.decrypted_by)
    return _("The totals were decrypted by trustees %(names)s (any %(k)s of the %(n)s "
             "trustees can decrypt them; fewer learn nothing), each decryption with a proof "
             "that anyone can check in the audit bundle.", names=names, k=view.threshold,
             n=view.trustees)


@bp.get("/a/<int:assembly_id>/results")
@roles_required(*MANAGERS)
def results(assembly_id: int):
    a = managed_assembly(assembly_id)
    now = clock.now()
    ctx = announcement_context(a) if a.status in COUNTED else None
    return render_template(
        "committee/results.html", a=a, ctx=ctx, now=now,
        tally_reason=why_not_yet(a, Status.TALLIED, now),
        announce_reason=why_not_yet(a, Status.ANNOUNCED, now),
        final_reason=transition_message(proceedings.final_refusal(a, now)),
        deadline=deadlines.announcement_deadline(a, now),
        objections=objections(a) if a.status == Status.ANNOUNCED.value else [],
        further_round_url=lambda position: url_for("committee.further_round",
                                                   assembly_id=a.id, position=position))


def _step(assembly_id: int, target: Status):
    a = managed_assembly(assembly_id)
    back = redirect(url_for("committee.results", assembly_id=a.id))
    now = clock.now()
    try:
        if target is Status.TALLIED:
            proceedings.tally(db(), a.id, signer=instance.log_signer(), now=now,
                              actor=member_actor())
        else:
            a = proceedings.announce(db(), a.id, now=now, actor=member_actor())
    except TransitionRefused as exc:
        flash(transition_message(exc), "error")
        return back
    except (LedgerError, TallyError) as exc:
        flash(_("Nothing changed: %(detail)s", detail=step_failure(exc)), "error")
        return back
    flash(_("The votes are counted from the ledger and the result is recorded in it. Check "
            "it, then publish the announcement.") if target is Status.TALLIED else
          _("The announcement is published. Post it in the community; objections are open "
            "until %(until)s.", until=local(a.objection_until)), "ok")
    return back


@bp.post("/a/<int:assembly_id>/tally")
@roles_required(*MANAGERS)
def count(assembly_id: int):
    return _step(assembly_id, Status.TALLIED)


@bp.post("/a/<int:assembly_id>/announce")
@roles_required(*MANAGERS)
def publish_announcement(assembly_id: int):
    return _step(assembly_id, Status.ANNOUNCED)


@bp.post("/a/<int:assembly_id>/objections")
@roles_required(*MANAGERS)
def add_objection(assembly_id: int):
    a = managed_assembly(assembly_id)
    back = redirect(url_for("committee.results", assembly_id=a.id) + "#objections")
    text = (request.form.get("note") or "").strip()
    if not 4 <= len(text) <= LIMITS[TextField.OBJECTION]:
        flash(_("Write the objection in 4 to 1000 characters."), "error")
        return back
    try:
        objection = counted.record_objection(db(), a.id, text=text, cipher=instance.pii(),
                                             now=clock.now(), actor=member_actor())
    except TransitionRefused as exc:
        flash(transition_message(exc), "error")
        return back
    flash(_("Objection recorded.") + (" " + _("It came after the objection period.")
                                      if objection.late else ""), "ok")
    return back


@bp.post("/a/<int:assembly_id>/final-announcement")
@roles_required(*MANAGERS)
def publish_final(assembly_id: int):
    a = managed_assembly(assembly_id)
    back = redirect(url_for("committee.results", assembly_id=a.id) + "#final")
    try:
        proceedings.announce_final(db(), a.id, signer=instance.log_signer(), now=clock.now(),
                                   actor=member_actor())
    except TransitionRefused as exc:
        flash(transition_message(exc), "error")
        return back
    except LedgerError as exc:
        flash(_("Nothing changed: %(detail)s", detail=step_failure(exc)), "error")
        return back
    flash(_("The final announcement is issued and recorded in the ledger. Post it in the "
            "community."), "ok")
    return back


def final_context(a) -> dict:
    ctx = announcement_context(a)
    ctx.update({
        "final_at": local(a.final_announced_at),
        "announced_at": local(a.final_announced_at),  # this announcement's date
        "objection_count": counted.objection_count(db(), a.id),
        "objection_text": _("The objection period ended on %(until)s with %(n)s objection(s) "
                            "recorded. This result is final; a decision can still be "
                            "challenged in court within one year (SPC interpretation art. 12).",
                            until=local(a.objection_until),
                            n=counted.objection_count(db(), a.id)),
    })
    return ctx


def _finally_announced(assembly_id: int):
    try:
        return counted.finally_announced(db(), assembly_id)
    except NotFound:
        abort(404)


@public_bp.get("/a/<int:assembly_id>/final-announcement")
@public
def final_announcement_page(assembly_id: int):
    a = _finally_announced(assembly_id)
    return render_template("notices/announcement.html", final=True, **final_context(a))


@public_bp.get("/a/<int:assembly_id>/final-announcement.pdf")
@public
def final_announcement_pdf(assembly_id: int):
    a = _finally_announced(assembly_id)
    labels = {**pdf_labels(), "announcement": _("Final announcement of the result")}
    data = pdf.announcement_pdf(final_context(a), labels)
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f"inline; filename=final-announcement-{a.id}.pdf"})


def _announced(assembly_id: int):
    try:
        return counted.announced_assembly(db(), assembly_id)
    except NotFound:
        abort(404)


@public_bp.get("/a/<int:assembly_id>/announcement")
@public
def announcement_page(assembly_id: int):
    a = _announced(assembly_id)
    return render_template("notices/announcement.html", **announcement_context(a))


@public_bp.get("/a/<int:assembly_id>/announcement.pdf")
@public
def announcement_pdf(assembly_id: int):
    a = _announced(assembly_id)
    ctx, labels = announcement_context(a), pdf_labels()
    key = pdfcache.digest("announcement", ctx, pdf.ANNOUNCEMENT_KEYS, labels)
    data = pdfcache.rendered(key, lambda: pdf.announcement_pdf(ctx, labels))
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f"inline; filename=announcement-{a.id}.pdf"})
