"""``ownervote assembly``: list assemblies, publish their logs, checkpoints and witnesses."""

from __future__ import annotations

import json
from typing import Any

import click


def _session() -> Any:
    from ownervote.config import load_settings
    from ownervote.db import make_engine, make_session_factory

    settings = load_settings()
    return settings, make_session_factory(make_engine(settings.database_url))()


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


@click.group()
def assembly() -> None:
    """List and inspect assemblies; publish their ledger, sign checkpoints, add witnesses."""


@assembly.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_(as_json: bool) -> None:
    """List assemblies with their status and log size."""
    from sqlalchemy import select

    from ledger.store.models import LogHead
    from voting.store.models import Assembly

    _, session = _session()
    with session:
        rows = []
        for a, head in session.execute(
            select(Assembly, LogHead)
            .outerjoin(LogHead, LogHead.assembly_id == Assembly.id)
            .order_by(Assembly.id)
        ):
            rows.append(
                {
                    "id": a.id,
                    "title": a.title,
                    "status": a.status,
                    "community_id": a.community_id,
                    "opens_at": _iso(a.opens_at),
                    "closes_at": _iso(a.closes_at),
                    "origin": head.origin if head else None,
                    "log_size": head.size if head else None,
                    "log_closed": head.closed if head else None,
                }
            )
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        size = "-" if r["log_size"] is None else r["log_size"]
        click.echo(f"{r['id']:>5}  {r['status']:<10} {size:>8}  {r['title']}")


@assembly.command("publish")
@click.option("--assembly", "assembly_id", type=int, required=True)
def publish(assembly_id: int) -> None:
    """Create the assembly's ledger (entry 0: agenda, settings, roster commitment)."""
    from ledger.keys import load_or_create_log_key, log_key_name
    from ledger.store.logstore import begin_write
    from ledger.store.publish import publish_assembly

    settings, session = _session()
    with session:
        signer = load_or_create_log_key(settings.log_key_file, log_key_name(settings.base_url))
        begin_write(session)
        out = publish_assembly(session, assembly_id, signer, settings.base_url)
        session.commit()
    click.echo(f"published; entry 0 hash {out.entry_hash.hex()}")


@assembly.command("checkpoint")
@click.option("--assembly", "assembly_id", type=int, default=None)
@click.option("--all", "all_open", is_flag=True, help="Every log that is not closed.")
def checkpoint(assembly_id: int | None, all_open: bool) -> None:
    """Sign a checkpoint if the log grew (run every few minutes while voting is open)."""
    from sqlalchemy import select

    from ledger.store.checkpoints import issue_checkpoint
    from ledger.store.logstore import begin_write
    from ledger.store.models import LogHead
    from ownervote.commands.keys import log_signer_for

    settings, session = _session()
    with session:
        if all_open:
            ids = list(
                session.scalars(select(LogHead.assembly_id).where(LogHead.closed.is_(False)))
            )
            session.commit()
        elif assembly_id is not None:
            ids = [assembly_id]
        else:
            raise click.UsageError("give --assembly ID or --all")
        for aid in ids:
            signer = log_signer_for(session, aid, settings)
            session.commit()
            begin_write(session)
            row = issue_checkpoint(session, aid, signer)
            session.commit()
            click.echo(f"assembly {aid}: checkpoint size {row.size}")


@assembly.command("add-witness")
@click.argument("vkey")
def add_witness(vkey: str) -> None:
    """Register a witness by its cosignature/v1 verifier key."""
    from ledger.store.checkpoints import add_witness as add

    _, session = _session()
    with session:
        row = add(session, vkey)
        session.commit()
        click.echo(f"witness {row.name} registered")


@assembly.command("add-cosignature")
@click.option("--assembly", "assembly_id", type=int, required=True)
@click.option("--size", type=int, required=True, help="Size of the cosigned checkpoint.")
@click.argument("cosignature", type=click.File("r"))
def add_cosignature(assembly_id: int, size: int, cosignature: Any) -> None:
    """Verify and store a witness's cosignature line (or cosigned note)."""
    from ledger.store.checkpoints import add_cosignature as add

    _, session = _session()
    with session:
        row = add(session, assembly_id, size, cosignature.read())
        session.commit()
        click.echo(f"cosignature stored (time {row.timestamp})")
