"""Shared by the console's views: the assembly with its access check, the member, reasons."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import abort, current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from identity.store.models import Building, Community, RosterVersion, StaffUser
from ledger.store.proceedings import timeline
from ledger.store.publish import assembly_settings
from voting.lifecycle import Status, why_not
from voting.store.models import Assembly
from web.access import require_manage
from web.committee import clock
from web.database import db

CHINA = ZoneInfo("Asia/Shanghai")
MANAGERS = ("committee", "admin")


def managed_assembly(assembly_id: int) -> Assembly:
    """The assembly if the signed-in member may manage it; 404 otherwise (also for others')."""
    a = db().get(Assembly, assembly_id)
    if a is None:
        abort(404)
    require_manage(a.community_id)
    return a


def member() -> StaffUser:
    user = db().get(StaffUser, current_user.staff_id) if current_user.staff_id else None
    if user is None:
        abort(401)
    return user


def member_actor() -> str:
    return f"staff:{current_user.staff_id}"


def communities() -> list[Community]:
    """The communities the member manages: their own, or all for an administrator."""
    if current_user.role == "admin":
        return list(db().scalars(select(Community).order_by(Community.name)))
    community = db().get(Community, current_user.community_id)
    return [community] if community is not None else []


def buildings(community_id: int) -> list[str]:
    names = db().scalars(select(Building.name).where(Building.community_id == community_id))
    return sorted(names, key=_natural)


def _natural(name: str) -> tuple:
    digits = "".join(c for c in name if c.isdigit())
    return (int(digits) if digits else 10**9, name)


def has_roster(community_id: int) -> bool:
    return db().scalar(select(RosterVersion.id).where(
        RosterVersion.community_id == community_id).limit(1)) is not None


def local(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "" if value is None else value.astimezone(CHINA).strftime(fmt)


def parse_local(text: str) -> dt.datetime | None:
    """A ``datetime-local`` field (China time) as an aware UTC datetime; None if empty/bad."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=CHINA)
    return value.astimezone(dt.UTC)


def earliest_opening(a: Assembly, now: dt.datetime) -> dt.datetime:
    """The earliest opening time if the notice were published now."""
    return now + dt.timedelta(days=assembly_settings(a).notice_days)


def reason_not(a: Assembly, target: Status, now: dt.datetime | None = None) -> str | None:
    """``None`` if ``a`` may move to ``target`` now, else the reason in the reader's language."""
    now = now or clock.now()
    settings = assembly_settings(a)
    tl = timeline(a)
    english = why_not(a.status, target, tl, now, settings, item_count=len(a.items))
    if english is None:
        return None
    current = Status(a.status)
    order = list(Status)
    if order.index(target) <= order.index(current):
        return _("This step is already done; an assembly never goes back.")
    if order.index(target) != order.index(current) + 1:
        return _("Finish the earlier steps first.")
    if target is Status.NOTICED:
        if not a.items:
            return _("Add at least one item: only the items in the notice may be voted on.")
        if a.opens_at is None or a.closes_at is None:
            return _("Set the opening and closing times first.")
        if a.closes_at <= a.opens_at:
            return _("Voting must close after it opens.")
        return _("Voting opens %(opens)s, less than %(days)s days after a notice published now "
                 "(物业管理条例 第14条). The earliest allowed opening is %(earliest)s.",
                 opens=local(a.opens_at), days=settings.notice_days,
                 earliest=local(earliest_opening(a, now)))
    if target is Status.OPEN:
        return _("Voting opens at %(time)s, as the notice told the owners.",
                 time=local(a.opens_at))
    if target is Status.CLOSED:
        return _("Voting closes at %(time)s; the owners were told so, and it cannot end early.",
                 time=local(a.closes_at))
    return english


def wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def owner_url(assembly_id: int) -> str:
    """The owners' page of the assembly, absolute (printed on the notice and its QR code)."""
    base = current_app.config["OWNERVOTE"].base_url or request.host_url
    return base.rstrip("/") + f"/a/{assembly_id}"


def status_is(a: Assembly, *statuses: Status) -> bool:
    return Status(a.status) in statuses
