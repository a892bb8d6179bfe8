"""Jinja filters and globals shared by every template."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask, has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from markupsafe import Markup, escape

CHINA = ZoneInfo("Asia/Shanghai")

STATUS_LABELS = {
    "draft": lazy_gettext("Draft"),
    "noticed": lazy_gettext("Notice published"),
    "open": lazy_gettext("Voting open"),
    "closed": lazy_gettext("Voting closed"),
    "tallied": lazy_gettext("Counted"),
    "announced": lazy_gettext("Result announced"),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def secrecy_badge(assembly: object) -> Markup:
    """A "secret ballot" badge beside a secret assembly's status (nothing for an open one:
    the default, explained on its notice and ballot)."""
    from ownervote.services.secret_assemblies import ballot_secrecy

    if ballot_secrecy(assembly) != "secret":  # type: ignore[arg-type]
        return Markup("")
    return Markup('<span class="badge ok" data-secrecy="secret">{}</span>').format(
        _("Secret ballot"))


def localtime(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Times are stored in UTC and shown in China Standard Time."""
    if value is None:
        return ""
    return value.astimezone(CHINA).strftime(fmt)


def area(value: Decimal | str | None) -> str:
    if value is None:
        return ""
    formatted = f"{Decimal(value):,.2f}"
    return _("%(area)s m²", area=formatted)


def colon() -> str:
    """The colon after a label: full-width in Chinese (“面积：”), ": " in English."""
    from web.i18n import current_lang

    return ": " if not has_request_context() or current_lang() == "en" else "："


def tracker(code: str | None) -> Markup:
    """A tracker code that never breaks inside a group of four: each group (with its dash)
    is kept together, and the line may break only between groups."""
    if not code:
        return Markup("")
    groups = str(code).split("-")
    parts = [Markup('<span class="tg">{}</span>').format(g + ("-" if n < len(groups) - 1 else ""))
             for n, g in enumerate(groups)]
    return Markup("<wbr>").join(parts) if len(parts) > 1 else Markup(escape(code))


def init_app(app: Flask) -> None:
    from web.vendor import NOBLE_PATH, NOBLE_SRI

    app.jinja_env.globals["status_label"] = status_label
    app.jinja_env.globals["secrecy_badge"] = secrecy_badge
    # the vendored @noble bundle and its SRI hash (web/templates/_secret_scripts.html)
    app.jinja_env.globals["noble_path"] = NOBLE_PATH
    app.jinja_env.globals["noble_sri"] = NOBLE_SRI
    app.jinja_env.globals["colon"] = colon
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["area"] = area
    app.jinja_env.filters["tracker"] = tracker
