"""The assembly list, creating a draft, its settings, items and documents."""

from __future__ import annotations

import hashlib

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from identity.store.models import Community
from ledger.store.proceedings import create_assembly
from ledger.store.publish import assembly_settings
from voting.lifecycle import Status
from voting.matters import Matter
from voting.store.models import Assembly, Document, Item
from web.access import require_manage, roles_required
from web.committee import bp, clock
from web.committee.common import (
    MANAGERS,
    buildings,
    communities,
    earliest_opening,
    has_roster,
    managed_assembly,
    member_actor,
    reason_not,
)
from web.committee.forms import FormError, read_item, read_settings
from web.database import db
from web.templating import status_label

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
DOCUMENT_TYPES = {b"%PDF": "application/pdf", b"\xff\xd8\xff": "image/jpeg",
                  b"\x89PNG\r\n\x1a\n": "image/png"}


def matters() -> list[tuple[int, str, str]]:
    return [(int(m), m.zh, m.threshold.value) for m in Matter]


@bp.get("/")
@roles_required(*MANAGERS)
def index():
    ids = [c.id for c in communities()]
    assemblies = db().scalars(select(Assembly).where(Assembly.community_id.in_(ids))
                              .order_by(Assembly.id.desc())).all()
    return render_template("committee/index.html", assemblies=assemblies,
                           communities=communities(), now=clock.now())


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def new():
    options = communities()
    if not options:
        abort(404)
    chosen = options[0]
    if request.method == "POST":
        wanted = request.form.get("community_id", type=int) or chosen.id
        chosen = next((c for c in options if c.id == wanted), None) or abort(404)
    names = buildings(chosen.id)
    error = None
    if request.method == "POST":
        require_manage(chosen.id)
        try:
            title = (request.form.get("title") or "").strip()
            if not title or len(title) > 200:
                raise FormError(_("Give the assembly a title (200 characters at most)."))
            if not has_roster(chosen.id):
                raise FormError(_("Import the community's registry extract first: the roster "
                                  "decides who votes."))
            settings = read_settings(request.form)
            spec = read_item(request.form, 1, sorted(settings.scope_buildings or names))
            a = create_assembly(db(), chosen.id, title, [spec],
                                description=(request.form.get("description") or "").strip(),
                                settings=settings, actor=member_actor())
            db().commit()
            flash(_("Draft saved. Add the other items, documents and the voting window."), "ok")
            return redirect(url_for("committee.assembly", assembly_id=a.id))
        except FormError as exc:
            error = str(exc)
    return render_template("committee/new.html", community=chosen, options=options,
                           buildings=names, matters=matters(), error=error,
                           form=request.form, defaults=assembly_defaults()), (400 if error else 200)


def assembly_defaults():
    from voting.settings import DEFAULT_SETTINGS

    return DEFAULT_SETTINGS


@bp.get("/a/<int:assembly_id>")
@roles_required(*MANAGERS)
def assembly(assembly_id: int):
    a = managed_assembly(assembly_id)
    now = clock.now()
    steps = [(s, status_label(s.value)) for s in Status]
    community = db().get(Community, a.community_id)
    documents = db().scalars(select(Document).where(Document.assembly_id == a.id)
                             .order_by(Document.id)).all()
    following = {s.value: reason_not(a, s, now) for s in Status if s.value != a.status}
    return render_template(
        "committee/assembly.html", a=a, community=community, steps=steps,
        settings=assembly_settings(a), documents=documents, buildings=buildings(a.community_id),
        matters=matters(), following=following, earliest=earliest_opening(a, now), now=now,
        current=[s.value for s in Status].index(a.status))


def _draft(assembly_id: int) -> Assembly:
    a = managed_assembly(assembly_id)
    if a.status != Status.DRAFT.value:
        flash(_("The notice is published: items, settings and documents are frozen, because "
                "only what the notice showed may be voted on."), "error")
        abort(redirect(url_for("committee.assembly", assembly_id=a.id)))
    return a


@bp.post("/a/<int:assembly_id>/settings")
@roles_required(*MANAGERS)
def save_settings(assembly_id: int):
    a = _draft(assembly_id)
    try:
        title = (request.form.get("title") or "").strip()
        if not title or len(title) > 200:
            raise FormError(_("Give the assembly a title (200 characters at most)."))
        settings = read_settings(request.form)
        scope = settings.scope_buildings
        for item in a.items:
            if scope and item.scope_buildings and not set(item.scope_buildings) <= scope:
                raise FormError(_("Item %(n)s is limited to buildings outside the new scope.",
                                  n=item.position))
        data = settings.to_dict()
        a.scope_buildings = data.pop("scope_buildings")
        a.settings = data
        a.title = title
        a.description = (request.form.get("description") or "").strip()
        db().commit()
        flash(_("Settings saved."), "ok")
    except FormError as exc:
        flash(str(exc), "error")
    return redirect(url_for("committee.assembly", assembly_id=a.id) + "#settings")


@bp.post("/a/<int:assembly_id>/items")
@roles_required(*MANAGERS)
def add_item(assembly_id: int):
    a = _draft(assembly_id)
    position = max((i.position for i in a.items), default=0) + 1
    allowed = sorted(assembly_settings(a).scope_buildings or buildings(a.community_id))
    try:
        spec = read_item(request.form, position, allowed)
        a.items.append(Item(position=position, title=spec.title, description=spec.description,
                            matter=spec.matter, kind=spec.kind, seats=spec.seats,
                            candidates=list(spec.candidates) if spec.kind == "election" else None,
                            scope_buildings=list(spec.scope_buildings)
                            if spec.scope_buildings else None))
        db().commit()
        flash(_("Item %(n)s added.", n=position), "ok")
    except FormError as exc:
        flash(str(exc), "error")
    return redirect(url_for("committee.assembly", assembly_id=a.id) + "#items")


@bp.post("/a/<int:assembly_id>/items/<int:position>/delete")
@roles_required(*MANAGERS)
def delete_item(assembly_id: int, position: int):
    a = _draft(assembly_id)
    item = next((i for i in a.items if i.position == position), None) or abort(404)
    a.items.remove(item)
    db().flush()
    for n, rest in enumerate(sorted(a.items, key=lambda i: i.position), start=1):
        rest.position = n
    db().commit()
    flash(_("Item removed; the others were renumbered."), "ok")
    return redirect(url_for("committee.assembly", assembly_id=a.id) + "#items")


@bp.post("/a/<int:assembly_id>/documents")
@roles_required(*MANAGERS)
def upload_document(assembly_id: int):
    a = _draft(assembly_id)
    upload = request.files.get("document")
    content = upload.read(MAX_DOCUMENT_BYTES + 1) if upload else b""
    mime = next((m for magic, m in DOCUMENT_TYPES.items() if content.startswith(magic)), None)
    if not content:
        flash(_("Choose a file to attach."), "error")
    elif len(content) > MAX_DOCUMENT_BYTES:
        flash(_("The file is larger than 10 MB."), "error")
    elif mime is None:
        flash(_("Attach a PDF, JPEG or PNG file."), "error")
    else:
        name = (upload.filename or "document").rsplit("/", 1)[-1][:200]
        sha = hashlib.sha256(content).hexdigest()
        db().add(Document(assembly_id=a.id, filename=name, mime=mime, sha256=sha,
                          content=content))
        db().commit()
        flash(_("Document attached (SHA-256 %(sha)s…).", sha=sha[:16]), "ok")
    return redirect(url_for("committee.assembly", assembly_id=a.id) + "#documents")


@bp.post("/a/<int:assembly_id>/documents/<int:document_id>/delete")
@roles_required(*MANAGERS)
def delete_document(assembly_id: int, document_id: int):
    a = _draft(assembly_id)
    doc = db().get(Document, document_id)
    if doc is None or doc.assembly_id != a.id:
        abort(404)
    db().delete(doc)
    db().commit()
    flash(_("Document removed."), "ok")
    return redirect(url_for("committee.assembly", assembly_id=a.id) + "#documents")


@bp.get("/a/<int:assembly_id>/documents/<int:document_id>")
@roles_required(*MANAGERS)
def document(assembly_id: int, document_id: int):
    a = managed_assembly(assembly_id)
    doc = db().get(Document, document_id)
    if doc is None or doc.assembly_id != a.id:
        abort(404)
    return Response(bytes(doc.content), mimetype=doc.mime, headers={
        "Content-Disposition": f"attachment; filename=document-{doc.id}"
                               f"{'.pdf' if doc.mime == 'application/pdf' else ''}"})
