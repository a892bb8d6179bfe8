"""An assembly's proceedings: draft, notice, open, close, tally, announce.

Each step checks the move with :mod:`voting.lifecycle`, changes the stored
assembly and appends what the ledger must record, in the caller's writer
transaction (``ledger.store.logstore.begin_write``; the caller commits):

* notice   → the roster is frozen (``identity.store.freeze``) and the log is created
  with entry 0 (agenda, settings, roster commitment) and a first checkpoint;
* open     → a checkpoint is signed (the view owners' receipts start from);
* close    → a ``voting.closed`` entry and the closing checkpoint;
* tally    → the count, recomputed from the log by the rules engine, is
  appended as the ``result.published`` entry and kept on the assembly;
* announce → the result is announced and the objection period starts;
* final    → after the objection period, the final announcement: a ``result.final`` entry
  naming the result and the number of objections, and a checkpoint that covers it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity.store.freeze import freeze_roster
from ledger.cosigning import configured_policy
from ledger.note import Signer
from ledger.store import committee, writer
from ledger.store.checkpoints import issue_checkpoint
from ledger.store.publish import assembly_settings, publish_assembly, published
from ledger.store.sales import sales_now
from ownervote.audit import record
from voting.errors import ItemError, TransitionRefused
from voting.items import ItemSpec
from voting.lifecycle import (
    Status,
    Timeline,
    check_transition,
    final_announcement_refusal,
    objection_until,
)
from voting.sales import tally_with_sales
from voting.settings import AssemblySettings
from voting.store.models import Assembly, Item
from voting.tally import AssemblyResult
from voting.textlimits import TextField, check_length


def timeline(a: Assembly) -> Timeline:
    return Timeline(
        notice_at=a.notice_at,
        opens_at=a.opens_at,
        closes_at=a.closes_at,
        announced_at=a.announced_at,
    )


def create_assembly(
    session: Session,
    community_id: int,
    title: str,
    items: Sequence[ItemSpec],
    *,
    description: str = "",
    settings: AssemblySettings | None = None,
    opens_at: dt.datetime | None = None,
    closes_at: dt.datetime | None = None,
    actor: str = "system",
) -> Assembly:
    """A draft assembly with its agenda (checked item by item)."""
    settings = settings or AssemblySettings()
    if not title.strip():
        raise ItemError("the assembly needs a title")
    check_length(TextField.ASSEMBLY_TITLE, title.strip(), where="assembly")
    check_length(TextField.ASSEMBLY_DESCRIPTION, description, where="assembly")
    for n, spec in enumerate(items, start=1):
        spec.check(n)
    data = settings.to_dict()
    scope = data.pop("scope_buildings", None)
    a = Assembly(
        community_id=community_id,
        title=title.strip(),
        description=description,
        status=Status.DRAFT.value,
        settings=data,
        scope_buildings=scope,
        opens_at=opens_at,
        closes_at=closes_at,
    )
    for n, spec in enumerate(items, start=1):
        a.items.append(
            Item(
                position=n,
                title=spec.title.strip(),
                description=spec.description,
                matter=spec.matter,
                kind=spec.kind,
                seats=spec.seats if spec.kind == "election" else None,
                candidates=[c.strip() for c in spec.candidates]
                if spec.kind == "election"
                else None,
                scope_buildings=list(spec.scope_buildings) if spec.scope_buildings else None,
            )
        )
    session.add(a)
    session.flush()
    record(session, actor, "assembly.create", f"assembly:{a.id}", items=len(items))
    return a


def _move(a: Assembly, wanted: Status, now: dt.datetime) -> None:
    check_transition(
        a.status, wanted, timeline(a), now, assembly_settings(a), item_count=len(a.items)
    )
    a.status = wanted.value


def publish_notice(
    session: Session,
    a: Assembly,
    signer: Signer,
    *,
    ownervote_settings: Any,
    now: dt.datetime,
    actor: str = "system",
) -> None:
    """draft → noticed: freeze the roster and create the log (agenda frozen from now on)."""
    if a.status != Status.DRAFT.value:  # refused before the notice time is touched
        _move(a, Status.NOTICED, now)
    a.notice_at = now
    try:
        _move(a, Status.NOTICED, now)
    except TransitionRefused:
        a.notice_at = None
        raise
    frozen = freeze_roster(session, a, settings=ownervote_settings, actor=actor)
    session.flush()
    policy = configured_policy(getattr(ownervote_settings, "witnesses", ""),
                               getattr(ownervote_settings, "witness_quorum", None))
    publish_assembly(session, a.id, signer, base_url=ownervote_settings.base_url, now=now,
                     witness_policy=policy)
    record(
        session,
        actor,
        "assembly.notice",
        f"assembly:{a.id}",
        roster_version=frozen.version,
        roster_digest=frozen.digest,
    )


def open_voting(
    session: Session, a: Assembly, signer: Signer, *, now: dt.datetime, actor: str = "system"
) -> None:
    """noticed → open: sign the checkpoint owners' receipts will be checked against."""
    _move(a, Status.OPEN, now)
    issue_checkpoint(session, a.id, signer, now=now)
    record(session, actor, "assembly.open", f"assembly:{a.id}")


def close_voting(
    session: Session, a: Assembly, signer: Signer, *, now: dt.datetime, actor: str = "system"
) -> None:
    """open → closed: the log records the close and signs its closing checkpoint."""
    _move(a, Status.CLOSED, now)
    committee.append_closing(session, a.id, reason="deadline", now=now, signer=signer)
    record(session, actor, "assembly.close", f"assembly:{a.id}")


def compute_result(session: Session, a: Assembly) -> AssemblyResult:
    """The count of the log's ballots under the published rules (what the verifier recomputes);
    a secret assembly's from its encrypted ballots and the trustees' decryptions
    (:mod:`ledger.store.secrettally`)."""
    adef, roster = published(session, a.id)
    if adef.settings.secret:
        from ledger.store.secrettally import compute_secret_result

        return compute_secret_result(session, a.id)
    votes = writer.counted_votes(session, a.id)
    sales = sales_now(session, a.id)  # units sold out of multi-unit heads (voting.sales)
    return tally_with_sales(roster, list(adef.items.values()), votes, adef.settings,
                            sales.sales if sales else ())


def tally_assembly(
    session: Session, a: Assembly, signer: Signer, *, now: dt.datetime, actor: str = "system"
) -> AssemblyResult:
    """closed → tallied: count, append the result to the log, sign the final checkpoint."""
    _move(a, Status.TALLIED, now)
    result = compute_result(session, a)
    as_json = result.to_json()
    committee.publish_result(session, a.id, as_json, now=now)
    issue_checkpoint(session, a.id, signer, now=now)
    a.result = as_json
    record(session, actor, "assembly.tally", f"assembly:{a.id}")
    return result


def announce(session: Session, a: Assembly, *, now: dt.datetime, actor: str = "system") -> None:
    """tallied → announced: the announcement (公告) is out; objections may be raised until
    the end."""
    a.announced_at = now
    try:
        _move(a, Status.ANNOUNCED, now)
    except TransitionRefused:
        a.announced_at = None
        raise
    a.objection_until = objection_until(timeline(a), assembly_settings(a))
    record(session, actor, "assembly.announce", f"assembly:{a.id}")


def announce_final(session: Session, a: Assembly, signer: Signer, *, objections: int,
                   now: dt.datetime, actor: str = "system") -> None:
    """The final announcement, once the objection period is over (the assembly stays
    announced; :func:`voting.lifecycle.final_announcement_refusal`)."""
    refused = final_announcement_refusal(a.status, a.objection_until, a.final_announced_at, now)
    if refused is not None:
        raise refused
    committee.publish_final(session, a.id, objections=objections, now=now)
    issue_checkpoint(session, a.id, signer, now=now)
    a.final_announced_at = now
    record(session, actor, "assembly.final_announcement", f"assembly:{a.id}",
           objections=objections)


def advance_due(session: Session, signer: Signer, now: dt.datetime,
                community_ids: Collection[int] | None = None) -> list[tuple[int, str]]:
    """Open and close every assembly whose time has come (run by a timer or at each request);
    only those of ``community_ids`` if given (a member moves their own community's only).

    Returns ``(assembly id, new status)`` for each change; the caller commits.
    """
    changed: list[tuple[int, str]] = []
    scope = [] if community_ids is None else [Assembly.community_id.in_(list(community_ids))]
    due_open = select(Assembly).where(
        Assembly.status == Status.NOTICED.value, Assembly.opens_at <= now, *scope
    )
    for a in session.scalars(due_open).all():
        open_voting(session, a, signer, now=now)
        changed.append((a.id, a.status))
    due_close = select(Assembly).where(
        Assembly.status == Status.OPEN.value, Assembly.closes_at <= now, *scope
    )
    for a in session.scalars(due_close).all():
        close_voting(session, a, signer, now=now)
        changed.append((a.id, a.status))
    return changed
