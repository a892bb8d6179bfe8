"""An assembly's proceedings as services: each step is one unit of work.

notice → open → close → tally → announce, and :func:`advance_due` (what the timer and
the console's "move on" button run).  Each step reads the assembly again inside its
unit, checks the move with :mod:`voting.lifecycle` and records it in the ledger
(:mod:`ledger.store.proceedings`); a refused move raises
:class:`~voting.errors.TransitionRefused` (with its code and figures) and changes
nothing.  :func:`refusal` says, without changing anything, what would stop a step now
(for the pages that offer it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy.orm import Session

from ledger.note import Signer
from ledger.store import proceedings
from ledger.store.publish import assembly_settings
from ownervote.services.errors import NotFound
from ownervote.services.results import objection_count
from ownervote.services.unit_of_work import writing
from voting import lifecycle
from voting.errors import TransitionRefused
from voting.lifecycle import Status
from voting.store.models import Assembly
from voting.tally import AssemblyResult


def _assembly(session: Session, assembly_id: int) -> Assembly:
    a = session.get(Assembly, assembly_id, populate_existing=True)
    if a is None:
        raise NotFound("assembly", assembly_id)
    return a


def refusal(a: Assembly, target: Status, now: dt.datetime) -> TransitionRefused | None:
    """What would stop ``a`` from moving to ``target`` now (None: nothing)."""
    return lifecycle.refusal(a.status, target, proceedings.timeline(a), now,
                             assembly_settings(a), item_count=len(a.items))


def publish_notice(session: Session, assembly_id: int, *, signer: Signer, settings: Any,
                   now: dt.datetime, actor: str) -> Assembly:
    """draft → noticed: the roster is frozen and the log created (the agenda is fixed)."""
    with writing(session):
        a = _assembly(session, assembly_id)
        proceedings.publish_notice(session, a, signer, ownervote_settings=settings, now=now,
                                   actor=actor)
    return a


def open_voting(session: Session, assembly_id: int, *, signer: Signer, now: dt.datetime,
                actor: str) -> Assembly:
    """noticed → open, at or after the announced opening time."""
    with writing(session):
        a = _assembly(session, assembly_id)
        proceedings.open_voting(session, a, signer, now=now, actor=actor)
    return a


def close_voting(session: Session, assembly_id: int, *, signer: Signer, now: dt.datetime,
                 actor: str) -> Assembly:
    """open → closed, at or after the announced closing time."""
    with writing(session):
        a = _assembly(session, assembly_id)
        proceedings.close_voting(session, a, signer, now=now, actor=actor)
    return a


def tally(session: Session, assembly_id: int, *, signer: Signer, now: dt.datetime,
          actor: str) -> AssemblyResult:
    """closed → tallied: the count of the log's ballots, recorded in the log."""
    with writing(session):
        a = _assembly(session, assembly_id)
        return proceedings.tally_assembly(session, a, signer, now=now, actor=actor)


def announce(session: Session, assembly_id: int, *, now: dt.datetime, actor: str) -> Assembly:
    """tallied → announced: the objection period starts."""
    with writing(session):
        a = _assembly(session, assembly_id)
        proceedings.announce(session, a, now=now, actor=actor)
    return a


def final_refusal(a: Assembly, now: dt.datetime) -> TransitionRefused | None:
    """None if the final announcement may be issued now, else why not."""
    return lifecycle.final_announcement_refusal(a.status, a.objection_until,
                                                a.final_announced_at, now)


def announce_final(session: Session, assembly_id: int, *, signer: Signer, now: dt.datetime,
                   actor: str) -> Assembly:
    """The final announcement, after the objection period: recorded in the ledger with the
    number of objections received."""
    with writing(session):
        a = _assembly(session, assembly_id)
        proceedings.announce_final(session, a, signer, now=now, actor=actor,
                                   objections=objection_count(session, a.id))
    return a


def advance_due(session: Session, *, signer: Signer, now: dt.datetime,
                community_ids: Collection[int] | None = None) -> list[tuple[int, str]]:
    """Open and close every assembly whose announced time has come (of ``community_ids``
    only, if given); ``(id, new status)``."""
    with writing(session):
        return proceedings.advance_due(session, signer, now, community_ids)
