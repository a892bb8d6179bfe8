"""``ownervote bundle``: export an assembly's audit bundle."""

from __future__ import annotations

import json

import click


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
    from ledger.store.checkpoints import issue_checkpoint
    from ledger.store.export import export_bundle
    from ownervote.commands.keys import log_signer_for
    from ownervote.config import load_settings
    from ownervote.db import make_engine, make_session_factory

    settings = load_settings()
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        signer = log_signer_for(session, assembly_id, settings)
        session.commit()  # end the reading transaction before writing
        if checkpoint:
            from ledger.store.logstore import begin_write

            begin_write(session)
            issue_checkpoint(session, assembly_id, signer)
            session.commit()
        summary = export_bundle(session, assembly_id, out, signer)
    click.echo(json.dumps(summary, ensure_ascii=False))
