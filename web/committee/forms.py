"""Reading the console's forms into the domain's objects, with messages in plain words."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from voting.errors import ItemError, SettingsError
from voting.items import ItemSpec
from voting.matters import Matter
from voting.settings import AssemblySettings
from voting.text import describe, hidden_character, same_text_key
from voting.textlimits import LIMITS, TextField
from web.numbers import whole_number


class FormError(ValueError):
    """What is wrong with the form, for the member (already translated)."""


# What each bounded text is called in the message that says it is too long.
TEXT_NAMES = {
    TextField.ASSEMBLY_TITLE: _l("The assembly's title"),
    TextField.ASSEMBLY_DESCRIPTION: _l("The assembly's introduction"),
    TextField.ITEM_TITLE: _l("The item title"),
    TextField.ITEM_DESCRIPTION: _l("The item's explanation"),
    TextField.CANDIDATE_NAME: _l("A candidate's name"),
    TextField.UNIT_LABEL: _l("The building or unit"),
    TextField.PERSON_NAME: _l("The name"),
    TextField.OBJECTION: _l("The objection"),
    TextField.STAFF_USERNAME: _l("The user name"),
    TextField.DISTRICT: _l("The district"),
    TextField.DOCUMENT_NAME: _l("The file name"),
}


def too_long(field: TextField) -> str:
    return _("%(what)s is too long (%(n)s characters at most).", what=TEXT_NAMES[field],
             n=LIMITS[field])


def read_text(form: MultiDict, name: str, field: TextField) -> str:
    """The form's text ``name`` without surrounding spaces, at most ``field``'s limit long."""
    text = (form.get(name) or "").strip()
    if len(text) > LIMITS[field]:
        raise FormError(too_long(field))
    return text


def _int(form: MultiDict, name: str, label: str, *, blank: int | None = None) -> int | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return blank
    try:
        return whole_number(raw)
    except ValueError:
        raise FormError(_("%(field)s must be a whole number.", field=label)) from None


def visible(text: str, label: str) -> str:
    """``text``, refused if it holds an invisible or direction-changing character."""
    found = hidden_character(text)
    if found is not None:
        raise FormError(_("%(field)s contains an invisible or direction-changing character "
                          "(%(char)s, character %(n)s). Type it again without it.",
                          field=label, char=describe(found[1]), n=found[0]))
    return text


SETTING_MESSAGES = {
    "scope_buildings": lambda: _("Choose at least one building, or the whole community."),
    "proxy_cap": lambda: _("The proxy cap must be a whole number from 0 to 1000, or blank "
                           "for no cap."),
    "notice_days": lambda: _("The notice period must be at least 15 days (物业管理条例 第14条); "
                             "only an extraordinary meeting may use 7 to 14 days."),
    "objection_days": lambda: _("The objection period must be 0 to 365 days."),
    "committee_size": lambda: _("The committee has 5, 7, 9 or 11 members (指导规则 art. 31)."),
    "ranking": lambda: _("Choose how qualified candidates are ranked."),
    "announce_within_days": lambda: _("The result must be announced within 1 to 30 days of "
                                      "the close."),
    "ballot_secrecy": lambda: _("Choose open or secret ballots."),
    "trustees": lambda: _("A secret assembly names 2 to 64 trustees."),
    "threshold": lambda: _("The threshold is from 1 to the number of trustees."),
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
        "committee_size": _int(form, "committee_size", _("Members of the committee"),
                               blank=None),
        "ranking": form.get("ranking") or "heads_then_area",
        "competitive_elections": form.get("competitive_elections") == "on",
        "announce_within_days": _int(form, "announce_within_days",
                                     _("Days to announce the result"), blank=3),
        "ballot_secrecy": form.get("ballot_secrecy") or "open",
    }
    if data["ballot_secrecy"] == "secret":  # (an open assembly has no trustees)
        data["trustees"] = _int(form, "trustees", _("Trustees"), blank=None)
        data["threshold"] = _int(form, "threshold", _("Threshold"), blank=None)
    try:
        return AssemblySettings.from_dict(data)
    except SettingsError as exc:
        text = str(exc).removeprefix("settings.")
        for field, message in SETTING_MESSAGES.items():
            if text.startswith(field):
                raise FormError(message()) from None
        raise FormError(_("A setting is not valid: %(detail)s", detail=text)) from None


def read_item(form: MultiDict, position: int, allowed_buildings: list[str]) -> ItemSpec:
    title = read_text(form, "item_title", TextField.ITEM_TITLE)
    if not title:
        raise FormError(_("Give the item a title, as the owners will read it."))
    visible(title, _("The item title"))
    description = read_text(form, "item_description", TextField.ITEM_DESCRIPTION)
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
        for candidate in candidates:
            visible(candidate, _("A candidate's name"))
        if any(len(c) > LIMITS[TextField.CANDIDATE_NAME] for c in candidates):
            raise FormError(too_long(TextField.CANDIDATE_NAME))
        # 张三 and 张 三, Ａ and A: one candidate however it is typed
        if len({same_text_key(c) for c in candidates}) != len(candidates):
            raise FormError(_("A candidate is listed twice."))
        if not seats or not 1 <= seats <= len(candidates):
            raise FormError(_("Seats must be between 1 and the number of candidates."))
    scope = [b for b in form.getlist("item_buildings") if b in allowed_buildings] or None
    spec = ItemSpec(title=title, matter=matter, description=description, kind=kind,
                    seats=seats, candidates=candidates, scope_buildings=scope)
    try:
        spec.check(position)
    except ItemError as exc:  # pragma: no cover - the checks above come first
        raise FormError(str(exc)) from None
    return spec
