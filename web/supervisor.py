"""Street-office supervisors: their district's communities and assemblies, read-only.

A supervisor sees the district they were appointed to (``StaffUser.district``)
and nothing else; auditors and administrators may open every district.  For
each assembly the page shows its status, participation so far (heads and
area that took part, from the ledger) and, once counted, the result of each
item, with links to the public record and — where the committee console
lets this role read it (``can_read``) — to the committee's dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask import Blueprint, abort, current_app, render_template
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException

from identity.store.models import Community
from ledger.entries import BALLOT, PAPER_BALLOT
from ledger.errors import LedgerError
from ledger.store.models import LedgerEntry
from ledger.store.publish import published
from voting.areas import from_hundredths
from voting.store.models import Assembly
from web.access import can_read, roles_required
from web.database import db

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")

READERS = ("supervisor", "auditor", "admin")


@dataclass(frozen=True)
class Participation:
    heads: int
    total_heads: int
    area: Decimal
    total_area: Decimal


def participation(assembly_id: int) -> Participation | None:
    """Heads (and their area) with at least one ballot that was not voided."""
    try:
        _adef, roster = published(db(), assembly_id)
    except LedgerError:
        return None
    voted = set(db().scalars(select(func.distinct(LedgerEntry.head_id)).where(
        LedgerEntry.assembly_id == assembly_id,
        LedgerEntry.kind.in_((BALLOT, PAPER_BALLOT)),
        LedgerEntry.voided_by.is_(None))))
    counted = [roster.heads[h] for h in voted if h in roster.heads]
    total = roster.total
    return Participation(len(counted), total.heads,
                         from_hundredths(sum(h.hundredths for h in counted)), total.area)


def results(a: Assembly) -> list[tuple[str, dict]]:
    """(item title, item result) once counted; the stored tally in agenda order."""
    items = (a.result or {}).get("items") or []
    titles = {str(i.position): i.title for i in a.items}
    return [(titles.get(str(r.get("id")), str(r.get("id"))), r) for r in items]


def readable_page(path: str) -> str | None:
    """``path`` if it is served and its view lets the current role in (another area's page)."""
    try:
        endpoint, _args = current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return None
    roles = getattr(current_app.view_functions[endpoint], "allowed_roles", ())
    return path if roles is None or current_user.role in roles else None


def districts() -> list[tuple[str, int]]:
    rows = db().execute(select(Community.district, func.count(Community.id))
                        .group_by(Community.district).order_by(Community.district)).all()
    return [(d or "", n) for d, n in rows]


@bp.get("/")
@roles_required(*READERS)
def district():
    """A supervisor's own district; auditors and administrators choose one."""
    if current_user.role == "supervisor":
        return _district_page(current_user.district or "")
    return render_template("supervisor/districts.html", districts=districts())


@bp.get("/districts/<district>")
@roles_required(*READERS)
def district_named(district: str):
    if current_user.role == "supervisor" and district != current_user.district:
        abort(404)
    return _district_page(district)


def _district_page(name: str):
    communities = [c for c in db().scalars(
        select(Community).where(Community.district == name).order_by(Community.name))
        if can_read(c)]
    if not communities and current_user.role != "supervisor":
        abort(404)
    assemblies = {c.id: [] for c in communities}
    for a in db().scalars(select(Assembly).where(
            Assembly.community_id.in_(list(assemblies)), Assembly.status != "draft")
            .order_by(Assembly.id.desc())):
        assemblies[a.community_id].append((
            a, participation(a.id), results(a),
            readable_page(f"/committee/a/{a.id}/dashboard"),
            readable_page(f"/a/{a.id}/announcement") if a.status == "announced" else None))
    return render_template("supervisor/district.html", district=name, communities=communities,
                           assemblies=assemblies)
