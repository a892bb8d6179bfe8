"""The assembly page (where the notice's QR code leads) and its attached documents."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from flask import Response, abort, render_template
from flask_babel import gettext as _
from flask_login import current_user

from ledger import timestamps
from ledger.note import Verifier
from ownervote.services import owner_assemblies
from ownervote.services.errors import NotFound
from voting.lifecycle import Status
from web.access import public
from web.api.data import QUORUM, accepting_ballots, item_json, participation
from web.api.heads import heads_for
from web.api.messages import REVOTE
from web.api.owner_session import current_account, visible_assembly
from web.charts import participation_gauge
from web.committee.results import result_items
from web.database import db
from web.owner import bp
from web.templating import area

#: Documents shown in the browser; anything else is downloaded (never sniffed).
INLINE = {"application/pdf", "image/png", "image/jpeg", "text/plain"}


def log_key_id(head) -> str:
    if head is None:
        return ""
    return Verifier.parse(head.log_vkey).key_id.hex()


def gauges(a) -> dict[str, dict]:
    """Per item: two SVG gauges (area, owners) against the 2/3 line, and the figures."""
    out = {}
    for p in participation(a):
        out[p.item_id] = {
            "area": participation_gauge(_("Area that voted"), p.area_share, QUORUM),
            "heads": participation_gauge(_("Owners who voted"), p.heads_share, QUORUM),
            "text": _("%(heads)s of %(total_heads)s owners, %(area)s of %(total_area)s",
                      heads=p.heads, total_heads=p.total_heads, area=area(p.area),
                      total_area=area(p.total_area)),
            "met": p.quorum_met,
        }
    return out


def _pct(part, whole) -> str:
    total = Fraction(whole)
    return f"{float(Fraction(part) / total * 100):.1f}%" if total else "0.0%"


def result_summary(a) -> list[dict]:
    """Per item of an announced assembly: passed or not, and its figures in plain words."""
    out = []
    for it in result_items(a):
        f = it["figures"]
        total, took_part = f["total"], f["participating"]
        lines = [_("%(heads)s of %(total_heads)s owners took part, with %(area)s of "
                   "%(total_area)s (%(heads_pct)s of the owners, %(area_pct)s of the area).",
                   heads=took_part["heads"], total_heads=total["heads"],
                   area=area(took_part["area"]), total_area=area(total["area"]),
                   heads_pct=_pct(took_part["heads"], total["heads"]),
                   area_pct=_pct(took_part["area"], total["area"]))]
        if it["election"] is None:
            agree = f["agree"]
            lines.append(_("%(heads)s owners with %(area)s agreed (%(heads_pct)s of the owners "
                           "and %(area_pct)s of the area that took part).",
                           heads=agree["heads"], area=area(agree["area"]),
                           heads_pct=_pct(agree["heads"], took_part["heads"]),
                           area_pct=_pct(agree["area"], took_part["area"])))
        else:
            elected = [c["candidate"] for c in it["election"]["candidates"] if c["elected"]]
            lines.append(_("Elected: %(names)s.", names="、".join(elected)) if elected else
                         _("No candidate was elected."))
        lines.append(it["verdict"])
        out.append({"position": it["position"], "title": it["title"], "passed": it["passed"],
                    "lines": lines})
    return out


def days_left(closes_at: dt.datetime | None) -> int | None:
    if closes_at is None:
        return None
    left = closes_at - dt.datetime.now(dt.UTC)
    return max(0, left.days) if left.total_seconds() > 0 else None


@bp.get("/a/<int:assembly_id>")
@public
def assembly(assembly_id: int):
    a = visible_assembly(assembly_id)
    head = owner_assemblies.log_of(db(), a.id)
    community = owner_assemblies.community(db(), a.community_id)
    mine = []
    if current_user.is_authenticated and current_user.role == "owner" and head is not None:
        mine = heads_for(a, current_account())
    announced = a.status == Status.ANNOUNCED.value
    revote = owner_assemblies.settings_of(a).revote.value
    return render_template(
        "owner/assembly.html", assembly=a, community=community,
        items=[item_json(it) for it in a.items], gauges={} if announced else gauges(a),
        accepting=accepting_ballots(a, head, timestamps.now_ms()), days_left=days_left(a.closes_at),
        revote=REVOTE[revote], may_revote=revote != "none",
        documents=[(d.id, d.filename) for d in owner_assemblies.documents(db(), a.id)],
        log_key_id=log_key_id(head), mine=mine,
        voted=[h for h in mine if h.ballots],
        to_vote=[h for h in mine if h.head.may_vote and not h.ballots],
        results=result_summary(a) if announced else None)


@bp.get("/a/<int:assembly_id>/documents/<int:document_id>")
@public
def document(assembly_id: int, document_id: int):
    try:
        doc = owner_assemblies.document(db(), assembly_id, document_id)
    except NotFound as exc:
        if exc.what != "document":
            raise
        abort(404)
    inline = doc.mime in INLINE
    response = Response(bytes(doc.content),
                        mimetype=doc.mime if inline else "application/octet-stream")
    response.headers["Content-Disposition"] = (
        f"{'inline' if inline else 'attachment'}; filename=\"document-{doc.id}\"; "
        f"filename*=UTF-8''{_quote(doc.filename)}")
    response.headers["X-Content-SHA256"] = doc.sha256
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")
