"""``ownervote verify``: check an audit bundle offline (no database, no web).

Exit status: 0 valid, 1 invalid (every failed check is named), 2 unreadable input.
"""

from __future__ import annotations

import json
import sys

import click


@click.command()
@click.argument("bundle_file", type=click.Path(dir_okay=False))
@click.option(
    "--previous",
    type=click.Path(dir_okay=False),
    default=None,
    help="An older bundle of the same log: check it is a prefix of this one.",
)
@click.option(
    "--log-key",
    default=None,
    help="The log's verifier key (name+id+key) you trust; checked against the bundle.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--workers", type=int, default=None, help="Processes for signatures (default: cores)."
)
def verify(
    bundle_file: str, previous: str | None, log_key: str | None, as_json: bool, workers: int | None
) -> None:
    """Verify an assembly's audit bundle: chain, Merkle roots, signatures, rules and tally."""
    from ledger.errors import BundleError
    from ledger.verifier import verify_bundle

    try:
        report = verify_bundle(bundle_file, previous=previous, log_key=log_key, workers=workers)
    except BundleError as exc:
        if as_json:
            click.echo(
                json.dumps(
                    {"bundle": bundle_file, "valid": False, "unreadable": str(exc)},
                    ensure_ascii=False,
                )
            )
        else:
            click.echo(f"UNREADABLE {bundle_file}: {exc}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        for name, failures in report.checks.items():
            click.echo(f"{'ok  ' if not failures else 'FAIL'} {name}")
            for f in failures:
                click.echo(f"       {f}")
        info = report.info
        click.echo(
            f"{info.get('origin')}: {info.get('entries')} entries, {info.get('ballots')} ballots "
            f"({info.get('voided')} entries voided, {info.get('transfers')} units sold during "
            f"the vote), {info.get('checkpoints')} checkpoints ({info.get('cosigned')} cosigned by "
            f"{', '.join(info.get('witnesses') or []) or 'no witness'}); log key "
            f"{info.get('log_key')}"
        )
        if not info.get("log_key_pinned"):
            click.echo(
                "note: no --log-key given; compare the log key above with the one "
                "published on the assembly notice"
            )
        click.echo("VALID" if report.valid else "INVALID")
    sys.exit(0 if report.valid else 1)
