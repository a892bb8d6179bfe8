"""Shared by the console's views: the assembly with its access check, the member, times.

Why a step is not possible yet is worded by :mod:`web.committee.lifecycle_messages`
from the lifecycle's own refusal (:func:`ownervote.services.proceedings.refusal`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app, request
from flask_login import current_user

from ownervote.services import assemblies
from ownervote.services.errors import NotFound
from web.access import require_manage
from web.database import db

CHINA = ZoneInfo("Asia/Shanghai")
MANAGERS = ("committee", "admin")


def managed_assembly(assembly_id: int) -> Any:
    """The assembly if the signed-in member may manage it; 404 otherwise (also for others')."""
    try:
        a = assemblies.assembly(db(), assembly_id)
    except NotFound:
        abort(404)
    require_manage(a.community_id)
    return a


def member() -> Any:
    """The signed-in member's staff account (401 if there is none)."""
    user = assemblies.committee_member(db(), current_user.staff_id)
    if user is None:
        abort(401)
    return user


def member_actor() -> str:
    return f"staff:{current_user.staff_id}"


def communities() -> list:
    """The communities the member manages: their own, or all for an administrator."""
    if current_user.role == "admin":
        return assemblies.all_communities(db())
    community = assemblies.community(db(), current_user.community_id)
    return [community] if community is not None else []


def buildings(community_id: int) -> list[str]:
    return assemblies.building_names(db(), community_id)


def has_roster(community_id: int) -> bool:
    return assemblies.has_roster(db(), community_id)


def local(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "" if value is None else value.astimezone(CHINA).strftime(fmt)


def parse_local(text: str) -> dt.datetime | None:
    """A ``datetime-local`` field (China time) as an aware UTC datetime; None if empty/bad."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
        if value.tzinfo is None:
            value = value.replace(tzinfo=CHINA)
        return value.astimezone(dt.UTC)
    except (ValueError, OverflowError):  # not a date, or out of range (0001-01-01 in China)
        return None


def wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def absolute_url(path: str) -> str:
    """``path`` of this site as an absolute URL (the configured base URL, else the host)."""
    base = current_app.config["OWNERVOTE"].base_url or request.host_url
    return base.rstrip("/") + path


def owner_url(assembly_id: int) -> str:
    """The owners' page of the assembly, absolute (printed on the notice and its QR code)."""
    return absolute_url(f"/a/{assembly_id}")

