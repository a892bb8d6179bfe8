"""The assembly list, creating a draft, its settings, items and documents."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ownervote.services import assemblies as drafts
from ownervote.services.assemblies import ElectionOutsideRules, ItemOutsideScope
from ownervote.services.errors import NotFound
from ownervote.services.notices import earliest_opening
from voting.errors import TransitionRefused
from voting.lifecycle import Status
from voting.matters import Matter
from voting.settings import DEFAULT_SETTINGS
from voting.textlimits import TextField
from web.access import require_manage, roles_required
from web.committee import bp, clock
from web.committee.console import (
    MANAGERS,
    buildings,
    communities,
    has_roster,
    managed_assembly,
    member_actor,
)
from web.committee.forms import FormError, read_item, read_settings, read_text, visible
from web.committee.lifecycle_messages import transition_message, why_not_yet
from web.database import db
from web.numbers import whole_number
from web.templating import status_label

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
DOCUMENT_TYPES = {b"%PDF": "application/pdf", b"\xff\xd8\xff": "image/jpeg",
                  b"\x89PNG\r\n\x1a\n": "image/png"}


def election_rules_message(exc: ElectionOutsideRules) -> str:
    """An election item that does not fit the election settings, with its figures."""
    if exc.problem.value == "seats_over_committee_size":
        return _("Item %(n)s elects %(seats)s members, but the committee has %(size)s "
                 "(the assembly's settings).", n=exc.position, seats=exc.seats,
                 size=exc.committee_size)
    return _("Item %(n)s lists %(candidates)s candidate(s) for %(seats)s seat(s): this "
             "assembly's rules ask for competitive elections (差额选举), with more candidates "
             "than seats.", n=exc.position, candidates=exc.candidates, seats=exc.seats)


def matters() -> list[tuple[int, str, str]]:
    return [(int(m), m.zh, m.threshold.value) for m in Matter]


@bp.get("/")
@roles_required(*MANAGERS)
def index():
    options = communities()
    return render_template("committee/index.html",
                           assemblies=drafts.assemblies_of(db(), [c.id for c in options]),
                           communities=options, now=clock.now())


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def new():
    options = communities()
    if not options:
        abort(404)
    chosen = options[0]
    if request.method == "POST":
        wanted = request.form.get("community_id", type=whole_number) or chosen.id
        chosen = next((c for c in options if c.id == wanted), None) or abort(404)
    names = buildings(chosen.id)
    error = None
    if request.method == "POST":
        require_manage(chosen.id)
        try:
            title = read_text(request.form, "title", TextField.ASSEMBLY_TITLE)
            if not title:
                raise FormError(_("Give the assembly a title (200 characters at most)."))
            visible(title, _("The title"))
            description = read_text(request.form, "description",
                                    TextField.ASSEMBLY_DESCRIPTION)
            if not has_roster(chosen.id):
                raise FormError(_("Import the community's registry extract first: the roster "
                                  "decides who votes."))
            settings = read_settings(request.form)
            spec = read_item(request.form, 1, sorted(settings.scope_buildings or names))
            a = drafts.create_draft(
                db(), community_id=chosen.id, title=title, item=spec, settings=settings,
                description=description, actor=member_actor())
            flash(_("Draft saved. Add the other items, documents and the voting window."), "ok")
            return redirect(url_for("committee.assembly", assembly_id=a.id))
        except FormError as exc:
            error = str(exc)
        except ElectionOutsideRules as exc:
            error = election_rules_message(exc)
    return render_template("committee/new.html", community=chosen, options=options,
                           buildings=names, matters=matters(), error=error,
                           form=request.form, defaults=assembly_defaults()), (400 if error else 200)


def assembly_defaults():
    return DEFAULT_SETTINGS


@bp.get("/a/<int:assembly_id>")
@roles_required(*MANAGERS)
def assembly(assembly_id: int):
    a = managed_assembly(assembly_id)
    now = clock.now()
    steps = [(s, status_label(s.value)) for s in Status]
    following = {s.value: why_not_yet(a, s, now) for s in Status if s.value != a.status}
    return render_template(
        "committee/assembly.html", a=a, community=drafts.community(db(), a.community_id),
        steps=steps, settings=drafts.settings_of(a), documents=drafts.documents(db(), a.id),
        buildings=buildings(a.community_id),
        matters=matters(), following=following, earliest=earliest_opening(a, now), now=now,
        current=[s.value for s in Status].index(a.status))


def _refused(a, exc: TransitionRefused):
    """A draft's change the lifecycle refuses (the notice froze it): say why, on its page."""
    flash(transition_message(exc), "error")
    return redirect(url_for("committee.assembly", assembly_id=a.id))


@bp.post("/a/<int:assembly_id>/settings")
@roles_required(*MANAGERS)
def save_settings(assembly_id: int):
    a = managed_assembly(assembly_id)
    try:
        title = read_text(request.form, "title", TextField.ASSEMBLY_TITLE)
        if not title:
            raise FormError(_("Give the assembly a title (200 characters at most)."))
        visible(title, _("The title"))
        description = read_text(request.form, "description", TextField.ASSEMBLY_DESCRIPTION)
        drafts.save_settings(db(), a.id, title=title, settings=read_settings(request.form),
                             description=description)
        flash(_("Settings saved."), "ok")
    except TransitionRefused as exc:
        return _refused(a, exc)
    except ItemOutsideScope as exc:
        flash(_("Item %(n)s is limited to buildings outside the new scope.", n=exc.position),
              "error")
    except ElectionOutsideRules as exc:
        flash(election_rules_message(exc), "error")
    except FormError as exc:
        flash(str(exc), "error")
    return redirect(url_for("committee.assembly", assembly_id=a.id) + "#settings")


@bp.post("/a/<int:assembly_id>/items")
@roles_required(*MANAGERS)
def add_item(assembly_id: int):
    a = managed_assembly(assembly_id)
    try:
        spec = read_item(request.form, drafts.next_position(a), drafts.item_buildings(db(), a))
        position = drafts.add_item(db(), a.id, spec=spec)
        flash(_("Item %(n)s added.", n=position), "ok")
    except TransitionRefused as exc:
        return _refused(a, exc)
    except ElectionOutsideRules as exc:
        flash(election_rules_message(exc), "error")
    except FormError as exc:
        flash(str(exc), "error")
    return redirect(url_for("committee.assembly", assembly_id=a.id) + "#items")


@bp.post("/a/<int:assembly_id>/items/<int:position>/delete")
@roles_required(*MANAGERS)
def delete_item(assembly_id: int, position: int):
    a = managed_assembly(assembly_id)
    try:
        drafts.remove_item(db(), a.id, position=position)
    except TransitionRefused as exc:
        return _refused(a, exc)
    except NotFound:
        abort(404)
    flash(_("Item removed; the others were renumbered."), "ok")
    return redirect(url_for("committee.assembly", assembly_id=a.id) + "#items")


@bp.post("/a/<int:assembly_id>/documents")
@roles_required(*MANAGERS)
def upload_document(assembly_id: int):
    a = managed_assembly(assembly_id)
    upload = request.files.get("document")
    content = upload.read(MAX_DOCUMENT_BYTES + 1) if upload else b""
    mime = next((m for magic, m in DOCUMENT_TYPES.items() if content.startswith(magic)), None)
    if upload is None or not content:
        flash(_("Choose a file to attach."), "error")
    elif len(content) > MAX_DOCUMENT_BYTES:
        flash(_("The file is larger than 10 MB."), "error")
    elif mime is None:
        flash(_("Attach a PDF, JPEG or PNG file."), "error")
    else:
        name = (upload.filename or "document").rsplit("/", 1)[-1][:200]
        try:
            attached = drafts.attach_document(db(), a.id, filename=name, mime=mime,
                                              content=content)
        except TransitionRefused as exc:
            return _refused(a, exc)
        flash(_("Document attached (SHA-256 %(sha)s…).", sha=attached.sha256[:16]), "ok")
    return redirect(url_for("committee.assembly", assembly_id=a.id) + "#documents")


@bp.post("/a/<int:assembly_id>/documents/<int:document_id>/delete")
@roles_required(*MANAGERS)
def delete_document(assembly_id: int, document_id: int):
    a = managed_assembly(assembly_id)
    try:
        drafts.remove_document(db(), a.id, document_id=document_id)
    except TransitionRefused as exc:
        return _refused(a, exc)
    except NotFound:
        abort(404)
    flash(_("Document removed."), "ok")
    return redirect(url_for("committee.assembly", assembly_id=a.id) + "#documents")


@bp.get("/a/<int:assembly_id>/documents/<int:document_id>")
@roles_required(*MANAGERS)
def document(assembly_id: int, document_id: int):
    a = managed_assembly(assembly_id)
    try:
        doc = drafts.document(db(), a.id, document_id)
    except NotFound:
        abort(404)
    return Response(bytes(doc.content), mimetype=doc.mime, headers={
        "Content-Disposition": f"attachment; filename=document-{doc.id}"
                               f"{'.pdf' if doc.mime == 'application/pdf' else ''}"})
