"""Registry extracts (不动产登记): import one as a community's next roster version, list versions.

:func:`import_extract` validates the whole extract and stores it in one unit of work
(:func:`ownervote.services.unit_of_work.writing`), or stores nothing: an extract with
any problem raises :class:`identity.errors.ExtractError` listing them; a dry run and an
extract equal to the latest version write nothing.  The report
(:class:`identity.store.importer.ImportReport`) carries counts and digests, never the
extract's personal data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity.errors import IdentityError
from identity.store import importer
from identity.store.models import Community, RosterVersion
from ownervote.services.unit_of_work import end_read, writing


class UnknownCommunity(IdentityError):
    """No community has this name."""


@dataclass(frozen=True)
class VersionInfo:
    """One stored roster version of a community."""

    version: int
    created_at: dt.datetime
    source: str  # registry | review:<reference>
    digest: str
    units: int | None
    heads: int | None


def community_named(session: Session, name: str) -> Community:
    """The community with this name; :class:`UnknownCommunity` if there is none."""
    found = session.scalar(select(Community).where(Community.name == name.strip()))
    if found is None:
        raise UnknownCommunity(f"no community named {name.strip()!r} (import its registry "
                               "extract first: ownervote registry import)")
    return found


def import_extract(session: Session, settings: Any, community: str, data: bytes, *,
                   dry_run: bool = False, encoding: str | None = None,
                   progress: importer.Progress | None = None,
                   actor: str = "cli") -> importer.ImportReport:
    """Validate ``data`` and store it as the community's next roster version (created if new).

    Raises :class:`identity.errors.ExtractError` with every problem; nothing is stored then.
    """
    if dry_run:
        try:
            return importer.import_extract(session, community, data, settings=settings,
                                           dry_run=True, actor=actor, progress=progress,
                                           encoding=encoding)
        finally:
            end_read(session)
    with writing(session):
        return importer.import_extract(session, community, data, settings=settings,
                                       actor=actor, progress=progress, encoding=encoding)


def versions(session: Session, community: str) -> list[VersionInfo]:
    """The community's roster versions, oldest first."""
    c = community_named(session, community)
    rows = session.scalars(select(RosterVersion).where(RosterVersion.community_id == c.id)
                           .order_by(RosterVersion.version)).all()
    found = [VersionInfo(v.version, v.created_at, v.source, v.digest, v.summary.get("units"),
                         v.summary.get("heads")) for v in rows]
    end_read(session)
    return found
