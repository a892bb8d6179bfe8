"""``ownervote bundle``: export an assembly's audit bundle."""

from __future__ import annotations

import json

import click

from ownervote.commands.invocation import database, settings


@click.group()
def bundle() -> None:
    """Audit bundles (one zip per assembly, verifiable offline with ``ownervote verify``)."""


@bundle.command("export")
@click.option("--assembly", "assembly_id", type=int, required=True)
@click.option("--out", type=click.Path(dir_okay=False), required=True)
@click.option(
    "--checkpoint/--no-checkpoint",
    default=True,
    show_default=True,
    help="Sign a checkpoint of the current log first, so the bundle is up to date.",
)
def export(assembly_id: int, out: str, checkpoint: bool) -> None:
    """Write the audit bundle of an assembly to OUT."""
    from ownervote.services.bundles import export as export_bundle

    config = settings()
    with database(config) as session:
        summary = export_bundle(session, config, assembly_id, out, checkpoint=checkpoint)
    click.echo(json.dumps(summary, ensure_ascii=False))
