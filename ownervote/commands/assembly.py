"""``ownervote assembly``: list assemblies, publish their logs, checkpoints and witnesses."""

from __future__ import annotations

import json
from typing import Any

import click

from ownervote.commands.invocation import database, settings


@click.group()
def assembly() -> None:
    """List and inspect assemblies; publish their ledger, sign checkpoints, add witnesses."""


@assembly.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_(as_json: bool) -> None:
    """List assemblies with their status and log size."""
    from ownervote.services.assemblies import list_assemblies

    with database() as session:
        rows = list_assemblies(session)
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
    from ownervote.services.assemblies import publish_log

    config = settings()
    with database(config) as session:
        entry_hash = publish_log(session, config, assembly_id)
    click.echo(f"published; entry 0 hash {entry_hash.hex()}")


@assembly.command("checkpoint")
@click.option("--assembly", "assembly_id", type=int, default=None)
@click.option("--all", "all_open", is_flag=True, help="Every log that is not closed.")
def checkpoint(assembly_id: int | None, all_open: bool) -> None:
    """Sign a checkpoint if the log grew (run every few minutes while voting is open)."""
    from ownervote.services import checkpoints

    if not all_open and assembly_id is None:
        raise click.UsageError("give --assembly ID or --all")
    config = settings()
    with database(config) as session:
        # (assembly_id is None only with --all: see above)
        ids = checkpoints.open_logs(session) if all_open or assembly_id is None else [assembly_id]
        for aid in ids:
            size = checkpoints.issue(session, config, aid)
            click.echo(f"assembly {aid}: checkpoint size {size}")


@assembly.command("add-witness")
@click.argument("vkey")
def add_witness(vkey: str) -> None:
    """Register a witness by its cosignature/v1 verifier key."""
    from ownervote.services.checkpoints import register_witness

    with database() as session:
        name = register_witness(session, vkey)
    click.echo(f"witness {name} registered")


@assembly.command("add-cosignature")
@click.option("--assembly", "assembly_id", type=int, required=True)
@click.option("--size", type=int, required=True, help="Size of the cosigned checkpoint.")
@click.argument("cosignature", type=click.File("r"))
def add_cosignature(assembly_id: int, size: int, cosignature: Any) -> None:
    """Verify and store a witness's cosignature line (or cosigned note)."""
    from ownervote.services.checkpoints import add_cosignature as add

    text = cosignature.read()
    with database() as session:
        timestamp = add(session, assembly_id, size, text)
    click.echo(f"cosignature stored (time {timestamp})")


@assembly.command("trustee-doc")
@click.argument("assembly_id", metavar="ASSEMBLY", type=int)
@click.argument("document", metavar="FILE", type=click.File("rb"))
def trustee_doc(assembly_id: int, document: Any) -> None:
    """Record a trustee's document file of a secret assembly (docs/rules.md §13).

    Before the notice: the key ceremony's documents (announcement, dealing, confirmation,
    complaint, answer); after the close: a decryption.  Refused unless it verifies and
    fits the ceremony so far."""
    import datetime as dt

    from ownervote.services import trustee_documents

    config = settings()
    with database(config) as session:
        out = trustee_documents.submit(session, assembly_id, document.read(),
                                       base_url=config.base_url,
                                       now=dt.datetime.now(dt.UTC), actor="cli")
    where = "waits for the notice" if out.entry is None else f"entry {out.entry}"
    click.echo(f"{out.kind} of trustee {out.trustee} recorded ({where}); digest {out.digest}; "
               f"ceremony: {out.phase}")


@assembly.command("trustees")
@click.argument("assembly_id", metavar="ASSEMBLY", type=int)
@click.option("--json", "as_json", is_flag=True)
def trustees_(assembly_id: int, as_json: bool) -> None:
    """Where a secret assembly's key ceremony stands, and the trustees' fingerprints."""
    from ownervote.services import trustee_documents

    config = settings()
    with database(config) as session:
        view = trustee_documents.ceremony_status(session, assembly_id,
                                                 base_url=config.base_url)
    if as_json:
        click.echo(json.dumps(view.to_json(), ensure_ascii=False))
        return
    if not view.secret:
        click.echo("open ballots: this assembly has no trustees")
        return
    click.echo(f"origin {view.origin}")
    click.echo(f"trustees {view.trustees}, threshold {view.threshold}: {view.waiting}")
    for t in view.announced:
        click.echo(f"  {t.index:>2}  {t.fingerprint}  {t.name}")
    if view.key:
        click.echo(f"election key {view.key}")
