"""Owner pages (phone first): the assembly page, identity check, ballot, receipt."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from voting.models import Assembly
from web.database import db

bp = Blueprint("owner", __name__)


@bp.get("/a/<int:assembly_id>")
def assembly(assembly_id: int):
    a = db().get(Assembly, assembly_id)
    if a is None or a.status == "draft":
        abort(404)
    return render_template("owner/assembly.html", assembly=a)
