"""``ownervote keys``: the log signing key, witness keys, cosigning, personal-data keys."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from ownervote.commands.invocation import database, refusals, settings


@click.group()
def keys() -> None:
    """Log signing key (Ed25519, C2SP signed-note) and witness keys."""


@keys.command("show")
def show() -> None:
    """Print the log's verifier key (create the key file, mode 0600, if missing)."""
    from ownervote.services.keys import log_signer

    with refusals():
        signer = log_signer(settings())
    click.echo(signer.verifier.vkey)


@keys.command("rotate-log")
def rotate_log() -> None:
    """Retire the current log key (kept beside it) and create a new one for new assemblies."""
    from ledger.keys import rotate_log_key

    with refusals():
        new, retired = rotate_log_key(settings().log_key_file)
    click.echo(f"retired key kept in {retired}")
    click.echo(new.verifier.vkey)


@keys.command("rotate-pii")
def rotate_pii() -> None:
    """Re-encrypt personal data under the first key of OWNERVOTE_PII_KEYS."""
    from ownervote.services.keys import rotate_pii as reencrypt

    config = settings()
    with database(config) as session:
        counts = reencrypt(session, config)
    for column, n in counts.items():
        click.echo(f"{column}: {n} re-encrypted")


@keys.command("witness-new")
@click.option("--name", required=True, help="Witness name, e.g. street-office.example/w1")
@click.option("--out", type=click.Path(dir_okay=False), required=True)
def witness_new(name: str, out: str) -> None:
    """Create a witness (cosignature/v1) key file; print its verifier key to register."""
    from ledger.keys import generate, write_key_file
    from ledger.note import ALG_COSIGNATURE_V1

    signer = generate(name, ALG_COSIGNATURE_V1)
    write_key_file(Path(out), signer)
    click.echo(signer.verifier.vkey)


@keys.command("cosign")
@click.option("--key", "key_file", type=click.Path(dir_okay=False, exists=True), required=True)
@click.option("--log-key", required=True, help="The log's verifier key the witness trusts.")
@click.option(
    "--previous",
    type=click.Path(dir_okay=False),
    default=None,
    help="The last checkpoint this witness cosigned, to check consistency against.",
)
@click.option(
    "--proof",
    type=click.Path(dir_okay=False),
    default=None,
    help="Consistency proof from --previous to CHECKPOINT: one hex hash per line.",
)
@click.option("--time", "timestamp", type=int, default=None, help="POSIX time (default: now).")
@click.argument("checkpoint", type=click.File("r"))
def cosign_cmd(
    key_file: str,
    log_key: str,
    previous: str | None,
    proof: str | None,
    timestamp: int | None,
    checkpoint: Any,
) -> None:
    """Cosign a checkpoint as a witness; print the cosignature line to send to the log.

    The witness checks the log's signature and, given the previous checkpoint it
    cosigned and a consistency proof, that the new one extends it.
    """
    from ledger import merkle
    from ledger.errors import LedgerError
    from ledger.keys import load_key_file
    from ledger.note import Verifier, cosign, open_checkpoint

    try:
        log = Verifier.parse(log_key)
        text = checkpoint.read()
        new, _note = open_checkpoint(text, log)
        if previous is not None:
            old, _old_note = open_checkpoint(Path(previous).read_text(), log)
            hashes = [bytes.fromhex(x) for x in Path(proof).read_text().split()] if proof else []
            if old.origin != new.origin:
                raise LedgerError("the previous checkpoint is of another log")
            merkle.verify_consistency(old.size, new.size, old.root, new.root, hashes)
        signer = load_key_file(Path(key_file))
        line = cosign(new.text(), signer, int(time.time()) if timestamp is None else timestamp)
    except (LedgerError, OSError, ValueError) as exc:
        click.echo(f"refusing to cosign: {exc}", err=True)
        sys.exit(1)
    click.echo(line.line(), nl=False)


cosign_cmd.name = "cosign"
