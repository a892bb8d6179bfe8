"""Scheduling, publishing the notice (通知) and the public notice page and PDF."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ledger.errors import LedgerError
from ownervote.services import notices, proceedings, trust_anchors, trustee_documents
from ownervote.services.errors import NotFound
from voting.errors import TransitionRefused
from voting.matters import Matter
from web import instance, pdf, pdfcache
from web.access import public, roles_required
from web.committee import bp, clock, public_bp
from web.committee.console import (
    MANAGERS,
    local,
    managed_assembly,
    member_actor,
    owner_url,
    parse_local,
)
from web.committee.explain import explain
from web.committee.lifecycle_messages import step_failure, transition_message
from web.database import db
from web.qr import qr_svg
from web.templating import colon


@bp.post("/a/<int:assembly_id>/schedule")
@roles_required(*MANAGERS)
def schedule(assembly_id: int):
    a = managed_assembly(assembly_id)
    back = redirect(url_for("committee.assembly", assembly_id=a.id) + "#schedule")
    opens = parse_local(request.form.get("opens_at", ""))
    closes = parse_local(request.form.get("closes_at", ""))
    if opens is None or closes is None:
        flash(_("Enter both the opening and the closing date and time."), "error")
        return back
    try:
        notices.set_window(db(), a.id, opens_at=opens, closes_at=closes, now=clock.now())
    except TransitionRefused as exc:
        flash(transition_message(exc), "error")
        return back
    flash(_("Voting window saved: %(opens)s to %(closes)s.", opens=local(opens),
            closes=local(closes)), "ok")
    return back


@bp.post("/a/<int:assembly_id>/notice")
@roles_required(*MANAGERS)
def publish(assembly_id: int):
    a = managed_assembly(assembly_id)
    back = redirect(url_for("committee.assembly", assembly_id=a.id))
    try:
        proceedings.publish_notice(db(), a.id, signer=instance.log_signer(),
                                   settings=instance.settings(), now=clock.now(),
                                   actor=member_actor())
    except TransitionRefused as exc:
        flash(transition_message(exc), "error")
        return back
    except LedgerError as exc:
        flash(_("The notice could not be published: %(detail)s", detail=step_failure(exc)),
              "error")
        return back
    flash(_("The notice is published and the roster frozen. Print it or send the PDF, and "
            "inform the residents' committee (居民委员会) in writing."), "ok")
    return back


def _public_assembly(assembly_id: int):
    try:
        return notices.published_assembly(db(), assembly_id)
    except NotFound:
        abort(404)


def threshold_text(matter: int) -> str:
    if Matter(matter).threshold.value == "special":
        return _("special matter: at least 3/4 of the participating area and of the "
                 "participating owners must agree")
    return _("ordinary matter: more than half of the participating area and of the "
             "participating owners must agree")


def notice_context(a) -> dict:
    """Everything the notice says, for the page and the PDF alike."""
    facts = notices.notice_facts(db(), a)
    settings = facts.settings
    items = []
    for it in a.items:
        items.append({
            "position": it.position, "title": it.title, "description": it.description or "",
            "matter": it.matter, "matter_zh": Matter(it.matter).zh,
            "threshold": threshold_text(it.matter), "election": it.kind == "election",
            "candidates": list(it.candidates or []), "seats": it.seats,
            "buildings": list(it.scope_buildings or []),
        })
    url = owner_url(a.id)
    anchors = trust_anchors.trust_anchors(db(), a.id)
    return {
        "assembly": a, "title": a.title, "description": a.description or "",
        "community": facts.community_name, "address": facts.community_address,
        "notice_at": local(a.notice_at), "opens_at": local(a.opens_at),
        "closes_at": local(a.closes_at), "items": items, "settings": settings,
        "scope": sorted(settings.scope_buildings) if settings.scope_buildings else None,
        "documents": [{"id": d.id, "filename": d.filename, "sha256": d.sha256}
                      for d in facts.documents],
        "url": url, "roster_digest": a.roster_digest or "", "rules": explain(settings),
        "quorum": _("Quorum for each item: owners holding at least 2/3 of the area AND at "
                    "least 2/3 of the owners take part (民法典 第278条)."),
        "online": _("Online: open %(url)s on your phone (or scan the QR code), confirm who you "
                    "are against the real-estate registry, and vote before the deadline. You "
                    "get a receipt to check your ballot is counted.", url=url),
        "paper": _("On paper: collect a ballot sheet from the owners' committee, fill it in, "
                   "sign it and return it before the deadline. The committee enters it and "
                   "keeps the scan; an owner's first ballot on an item stands unless the rules "
                   "below say otherwise."),
        "proxy": _("By proxy: give a written proxy to your agent and to the committee. One "
                   "agent may represent at most %(cap)s owners.",
                   cap=settings.proxy_cap if settings.proxy_cap is not None else "∞"),
        "cc": _("Copy: the residents' committee (居民委员会) of the community."),
        # the QR code carries the trust anchors in the fragment (never sent to a server)
        "qr_url": anchors.url(url) if anchors is not None else url,
        "trust": trust_context(anchors),
        "secrecy": secrecy_context(trustee_documents.ceremony_status(
            db(), a.id, base_url=instance.settings().base_url)),
    }


def secrecy_context(s) -> dict:
    """The ballot secrecy setting and, for a secret assembly, its trustees and threshold."""
    if not s.secret:
        return {"secret": False, "label": _("Open ballot"),
                "explain": _("Ballots are kept with their choices, as in a written "
                             "consultation: the committee and the auditors can read how each "
                             "home voted."), "trustees": [], "threshold": "", "key": None}
    return {
        "secret": True, "label": _("Secret ballot"),
        "explain": _("Each phone encrypts its ballot before sending it: nobody (the owners' "
                     "committee and the platform included) can see what a single ballot "
                     "says. Only the totals are decrypted, by the trustees together, and "
                     "anyone can check the count."),
        "threshold": _("Any %(k)s of these %(n)s trustees together decrypt the totals; fewer "
                       "learn nothing.", k=s.threshold, n=s.trustees),
        "trustees": [{"index": t.index, "name": t.name, "fingerprint": t.fingerprint}
                     for t in s.announced],
        "key": s.key,
    }


def trust_context(anchors) -> dict | None:
    """The notice's trust anchors in plain data: the log key, the witnesses, the policy."""
    if anchors is None:
        return None
    policy = None
    if anchors.policy is not None:
        policy = _("At least %(quorum)s of these %(n)s witnesses must cosign the ledger's "
                   "newest checkpoint.", quorum=anchors.quorum, n=len(anchors.witnesses))
    return {
        "log_key": anchors.log_key, "log_key_id": anchors.log_key_id,
        "witnesses": [{"name": w.name, "vkey": w.vkey} for w in anchors.witnesses],
        "policy": policy or _("No witness policy: no witness is required to cosign."),
        "explain": _("Your phone checks your ballot against this ledger key when you scan "
                     "the QR code; auditors pass it to ownervote verify --log-key."),
    }


@public_bp.get("/a/<int:assembly_id>/notice")
@public
def notice_page(assembly_id: int):
    a = _public_assembly(assembly_id)
    ctx = notice_context(a)
    return render_template("notices/notice.html", qr=qr_svg(ctx["qr_url"], label=ctx["url"]),
                           **ctx)


@public_bp.get("/a/<int:assembly_id>/notice.pdf")
@public
def notice_pdf(assembly_id: int):
    a = _public_assembly(assembly_id)
    ctx = notice_context(a)
    labels = pdf_labels()
    key = pdfcache.digest("notice", ctx, pdf.NOTICE_KEYS, labels)
    data = pdfcache.rendered(key, lambda: pdf.notice_pdf(ctx, labels))
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f"inline; filename=notice-{a.id}.pdf"})


def pdf_labels() -> dict[str, str]:
    """The fixed wording of the PDFs, translated like every page."""
    return {
        "notice": _("Notice of the owners' assembly meeting"),
        "announcement": _("Announcement of the owners' assembly's decisions"),
        "community": _("Community"), "published": _("Published"),
        "window": _("Voting window"), "items": _("Items"), "how": _("How to vote"),
        "rules": _("Counting rules"), "documents": _("Documents"), "scan": _("Scan to vote"),
        "scope": _("Who votes"), "whole": _("all owners of the community"),
        "buildings": _("owners of buildings"), "candidates": _("Candidates"),
        "seats": _("seats"), "roster": _("Roster fingerprint (SHA-256)"),
        "area": _("Area"), "area_unit": _("Area (m²)"), "heads": _("Owners"),
        "participating": _("Took part"),
        "agree": _("Agree"), "oppose": _("Oppose"), "abstain": _("Abstain"),
        "total": _("All in scope"), "quorum": _("Quorum"), "met": _("met"),
        "not_met": _("not met"), "passed": _("PASSED"), "failed": _("NOT PASSED"),
        "voters": _("Units whose owners voted (unit and area, no names)"),
        "objections": _("Objections"), "elected": _("Elected"), "tie": _("Tie"),
        "page": _("Page"),
        "trust": _("Ledger key and witnesses"), "log_key": _("Ledger public key"),
        "log_key_id": _("Key ID"), "witnesses": _("Witness"), "colon": colon(),
        "secrecy": _("Ballot secrecy"), "trustee": _("Trustee"),
        "election_key": _("Election public key"),
    }
