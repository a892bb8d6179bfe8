"""Who may see what: every view states its audience with one of these decorators.

Roles: ``owner`` (verified against the registry), ``committee`` (members of
one community's owners' committee), ``supervisor`` (street office: read-only,
their district), ``auditor`` (read-only, every community), ``admin``.
A committee member of one community sees nothing of another: views that take
an assembly or community check it with :func:`can_manage` / :func:`can_read`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol, TypeVar, cast

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user

from ownervote.services import sign_in

F = TypeVar("F", bound=Callable[..., Any])


class Community(Protocol):
    """What these checks read of a community (as the services return it)."""

    @property
    def id(self) -> int: ...

    @property
    def district(self) -> str | None: ...

STAFF_ROLES = frozenset({"committee", "supervisor", "auditor", "admin"})


def roles_required(*roles: str,
                   public_when: Callable[..., bool] | None = None) -> Callable[[F], F]:
    """Allow only signed-in users with one of ``roles`` (401 when signed out, 403 otherwise).

    ``public_when``: called with the route's arguments, True when this record is open to
    everyone (the audit bundle of a secret assembly once voting closed); then nobody is
    turned away here and the view serves it.  The view's mark stays ``roles``: what every
    other record of the route requires (the access matrix checks those)."""
    allowed = frozenset(roles)

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if public_when is None or not public_when(**kwargs):
                if not current_user.is_authenticated:
                    abort(401, _("Please sign in first."))
                if current_user.role not in allowed:
                    abort(403, _("Your account may not open this page."))
            return view(*args, **kwargs)

        # setattr: a mark on the view function, which type checkers do not model
        setattr(wrapped, "allowed_roles", allowed)  # noqa: B010
        setattr(wrapped, "public_when", public_when)  # noqa: B010
        return cast(F, wrapped)  # functools.wraps: the view's signature, unchanged

    return decorate


def public(view: F) -> F:
    """Mark a view as open to everyone (the authorisation test requires a marker on each view)."""
    setattr(view, "allowed_roles", None)  # noqa: B010 - a mark, as in roles_required
    return view


def can_manage(community: Community | int) -> bool:
    """May the current user change this community's assemblies? (its committee, or an admin)."""
    community_id = community if isinstance(community, int) else community.id
    if not current_user.is_authenticated:
        return False
    if current_user.role == "admin":
        return True
    return current_user.role == "committee" and current_user.community_id == community_id


def can_read(community: Community) -> bool:
    """May the current user read this community's non-public records?"""
    if not current_user.is_authenticated:
        return False
    role = current_user.role
    if role in ("admin", "auditor"):
        return True
    if role == "committee":
        return current_user.community_id == community.id
    if role == "supervisor":
        return bool(current_user.district) and current_user.district == community.district
    return False


def require_manage(community: Community | int) -> None:
    if not can_manage(community):
        # 404, not 403: a member of another community learns nothing, not even existence.
        abort(404)


def require_read(community: Community) -> None:
    if not can_read(community):
        abort(404)


def owner_of(community_id: int, roster_version_id: int | None = None) -> bool:
    """Is the signed-in owner an owner in this community?

    In the roster frozen for an assembly (``roster_version_id``) or in the
    community's latest roster (a buyer registered since the vote was called).
    """
    if not current_user.is_authenticated or current_user.role != "owner":
        return False
    from web.database import db

    return sign_in.owns_in(db(), current_user.owner_id, community_id, roster_version_id)
