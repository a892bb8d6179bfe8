"""Reading the console's forms into the domain's objects, with messages in plain words."""

from __future__ import annotations

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from voting.errors import ItemError, SettingsError
from voting.items import ItemSpec
from voting.matters import Matter
from voting.settings import AssemblySettings


class FormError(ValueError):
    """What is wrong with the form, for the member (already translated)."""


def _int(form: MultiDict, name: str, label: str, *, blank: int | None = None) -> int | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return blank
    if not raw.isdigit():
        raise FormError(_("%(field)s must be a whole number.", field=label))
    return int(raw)


SETTING_MESSAGES = {
    "scope_buildings": lambda: _("Choose at least one building, or the whole community."),
    "proxy_cap": lambda: _("The proxy cap must be a whole number from 0 to 1000, or blank "
                           "for no cap."),
    "notice_days": lambda: _("The notice period must be at least 15 days (物业管理条例 第14条); "
                             "only an extraordinary meeting may use 7 to 14 days."),
    "objection_days": lambda: _("The objection period must be 0 to 365 days."),
}


def read_settings(form: MultiDict) -> AssemblySettings:
    scope = None
    if form.get("scope") == "buildings":
        scope = [b for b in form.getlist("scope_buildings") if b]
        if not scope:
            raise FormError(SETTING_MESSAGES["scope_buildings"]())
    data = {
        "scope_buildings": scope,
        "count_parking": form.get("count_parking") == "on",
        "revote": form.get("revote") or "until_close",
        "precedence": form.get("precedence") or "first_cast",
        "proxy_cap": _int(form, "proxy_cap", _("Proxy cap"), blank=None),
        "non_voters_join_majority": form.get("non_voters_join_majority") == "on",
        "notice_days": _int(form, "notice_days", _("Notice period"), blank=15),
        "extraordinary": form.get("extraordinary") == "on",
        "objection_days": _int(form, "objection_days", _("Objection period"), blank=7),
    }
    try:
        return AssemblySettings.from_dict(data)
    except SettingsError as exc:
        text = str(exc).removeprefix("settings.")
        for field, message in SETTING_MESSAGES.items():
            if text.startswith(field):
                raise FormError(message()) from None
        raise FormError(_("A setting is not valid: %(detail)s", detail=text)) from None


def read_item(form: MultiDict, position: int, allowed_buildings: list[str]) -> ItemSpec:
    title = (form.get("item_title") or "").strip()
    if not title:
        raise FormError(_("Give the item a title, as the owners will read it."))
    if len(title) > 200:
        raise FormError(_("The item title is too long (200 characters at most)."))
    kind = form.get("item_kind") or "motion"
    matter = _int(form, "item_matter", _("Matter"), blank=None)
    if kind == "election":
        matter = int(Matter.COMMITTEE)
    if matter is None or not 1 <= matter <= 9:
        raise FormError(_("Choose which of the nine matters of Civil Code art. 278 this is."))
    candidates: tuple[str, ...] = ()
    seats = None
    if kind == "election":
        candidates = tuple(c.strip() for c in (form.get("item_candidates") or "").splitlines()
                           if c.strip())
        seats = _int(form, "item_seats", _("Seats"), blank=None)
        if not candidates:
            raise FormError(_("List the candidates, one name per line."))
        if len(set(candidates)) != len(candidates):
            raise FormError(_("A candidate is listed twice."))
        if not seats or not 1 <= seats <= len(candidates):
            raise FormError(_("Seats must be between 1 and the number of candidates."))
    scope = [b for b in form.getlist("item_buildings") if b in allowed_buildings] or None
    spec = ItemSpec(title=title, matter=matter, description=(form.get("item_description") or ""
                                                             ).strip(),
                    kind=kind, seats=seats, candidates=candidates, scope_buildings=scope)
    try:
        spec.check(position)
    except ItemError as exc:  # pragma: no cover - the checks above come first
        raise FormError(str(exc)) from None
    return spec
