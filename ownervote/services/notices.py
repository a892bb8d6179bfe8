"""The notice (通知): the draft's voting window, and what the notice page and PDF print.

Publishing the notice is :func:`ownervote.services.proceedings.publish_notice`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ledger.store.publish import assembly_settings
from ownervote.services.assemblies import community, documents
from ownervote.services.errors import NotFound
from ownervote.services.unit_of_work import writing
from voting import lifecycle
from voting.lifecycle import Status
from voting.settings import AssemblySettings
from voting.store.models import Assembly, Document


def set_window(session: Session, assembly_id: int, *, opens_at: dt.datetime | None,
               closes_at: dt.datetime | None, now: dt.datetime) -> Assembly:
    """The draft's voting window; it must fit a notice published ``now``.

    Refused with :class:`~voting.errors.TransitionRefused` as
    :func:`voting.lifecycle.window_refusal` decides (``times_not_set``,
    ``closes_before_opens``, ``notice_too_short``, ``frozen_by_notice``).
    """
    with writing(session):
        a = session.get(Assembly, assembly_id, populate_existing=True)
        if a is None:
            raise NotFound("assembly", assembly_id)
        refused = lifecycle.window_refusal(a.status, opens_at, closes_at, now,
                                           assembly_settings(a))
        if refused is not None:
            raise refused
        a.opens_at, a.closes_at = opens_at, closes_at
    return a


def earliest_opening(a: Assembly, now: dt.datetime) -> dt.datetime:
    """The earliest opening of voting if the notice were published ``now``."""
    return lifecycle.earliest_opening(now, assembly_settings(a))


def published_assembly(session: Session, assembly_id: int) -> Assembly:
    """An assembly whose notice is published (NotFound for a draft: drafts are private)."""
    a = session.get(Assembly, assembly_id)
    if a is None or a.status == Status.DRAFT.value:
        raise NotFound("notice", assembly_id)
    return a


@dataclass(frozen=True)
class NoticeFacts:
    """What the notice says beyond the assembly's own fields (page and PDF alike)."""

    community_name: str
    community_address: str
    settings: AssemblySettings
    documents: list[Document]


def notice_facts(session: Session, a: Assembly) -> NoticeFacts:
    place = community(session, a.community_id)
    return NoticeFacts(community_name=place.name if place else "",
                       community_address=(place.address or "") if place else "",
                       settings=assembly_settings(a), documents=documents(session, a.id))
