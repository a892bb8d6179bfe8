"""``ownervote verify``: check an audit bundle offline (no database, no web).

Exit status: 0 valid, 1 invalid (every failed check is named), 2 unreadable input.
The report names the program and version that wrote the bundle (``producer.json``,
when the bundle has one) and this verifier's version, so an auditor can re-run the
check with exactly the producer's version (docs/auditor-guide.md).
"""

from __future__ import annotations

import json
import sys

import click

from ownervote import __version__


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
    help="The log's verifier key (name+id+key) printed on the assembly's notice; checked "
    "against the bundle (without it the verdict says the key was not pinned).",
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
        doc = {**report.to_json(), "verifier": {"name": "ownervote", "version": __version__}}
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
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
        for line in producer_lines(info.get("producer")):
            click.echo(line)
        for line in secret_tally_lines(info.get("secret_tally")):
            click.echo(line)
        click.echo(verdict(report.valid, info))
    sys.exit(0 if report.valid else 1)


def verdict(valid: bool, info: dict) -> str:
    """The last line: VALID or INVALID, and whether the log key was compared with a pinned
    one (``--log-key``, as printed on the assembly's notice)."""
    if not valid:
        return "INVALID"
    if info.get("log_key_pinned"):
        return "VALID"
    return f"VALID (log key not pinned: compare {info.get('log_key')} with the notice)"


def secret_tally_lines(tally: dict | None) -> list[str]:
    """A secret assembly's tally: how many totals, whose shares were combined, who was left
    out and why (docs/audit-bundle.md §10.2.1)."""
    if tally is None:
        return []
    lines = [f"secret tally: {tally['totals']} encrypted totals (tally.encrypted SHA-256 "
             f"{tally['tally_encrypted_sha256']}), decrypted by trustees "
             f"{', '.join(map(str, tally['trustees_combined'])) or 'none'}"]
    lines += [f"  trustee {t} left out: {why}" for t, why in tally["trustees_left_out"].items()]
    return lines


def producer_lines(producer: dict[str, str] | None) -> list[str]:
    """What wrote the bundle and what verifies it; how to get the producer's version."""
    this = f"ownervote {__version__}"
    if producer is None:
        return [f"produced by: not named (no producer.json: a bundle written before "
                f"ownervote named its version); verified with {this}"]
    name, version = producer["name"], producer["version"]
    lines = [f"produced by {name} {version}; verified with {this}"]
    if name == "ownervote" and version != __version__:
        lines.append(f"note: to verify with the version that wrote the bundle: "
                     f"pip install 'ownervote=={version}'")
    return lines
