"""Jinja filters and globals shared by every template."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext

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


def init_app(app: Flask) -> None:
    app.jinja_env.globals["status_label"] = status_label
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["area"] = area
