"""Street-office supervisors: their district's communities and assemblies, read-only.

A supervisor sees the district they were appointed to (``StaffUser.district``)
and nothing else; auditors and administrators may open every district.  For
each assembly the page shows its status, participation so far (heads and
area that took part, from the ledger) and, once counted, the result of each
item (read by :mod:`ownervote.services.supervision`), the results not announced within the
days their assembly set after the close (:mod:`ownervote.services.deadlines`), with links to the
public record and — where the committee console lets this role read it
(``can_read``) — to the committee's dashboard.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from ownervote.services import deadlines, supervision
from web.access import can_read, roles_required
from web.committee import clock
from web.database import db

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")

READERS = ("supervisor", "auditor", "admin")


def readable_page(path: str) -> str | None:
    """``path`` if it is served and its view lets the current role in (another area's page)."""
    try:
        endpoint, _args = current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return None
    roles = getattr(current_app.view_functions[endpoint], "allowed_roles", ())
    return path if roles is None or current_user.role in roles else None


@bp.get("/")
@roles_required(*READERS)
def district():
    """A supervisor's own district; auditors and administrators choose one."""
    if current_user.role == "supervisor":
        return _district_page(current_user.district or "")
    return render_template("supervisor/districts.html",
                           districts=supervision.districts(db()))


@bp.get("/districts/<district>")
@roles_required(*READERS)
def district_named(district: str):
    if current_user.role == "supervisor" and district != current_user.district:
        abort(404)
    return _district_page(district)


def _district_page(name: str):
    communities = [c for c in supervision.communities(db(), name) if can_read(c)]
    if not communities and current_user.role != "supervisor":
        abort(404)
    overviews = supervision.assemblies(db(), [c.id for c in communities])
    assemblies = {cid: [(
        o.assembly, o.participation, o.results,
        readable_page(f"/committee/a/{o.assembly.id}/dashboard"),
        readable_page(f"/a/{o.assembly.id}/announcement")
        if o.assembly.status == "announced" else None) for o in found]
        for cid, found in overviews.items()}
    overdue = deadlines.overdue_announcements(db(), clock.now(), [c.id for c in communities])
    names = {c.id: c.name for c in communities}
    return render_template("supervisor/district.html", district=name, communities=communities,
                           assemblies=assemblies,
                           overdue=[(names[d.community_id], d) for d in overdue])
