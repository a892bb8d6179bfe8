"""``ownervote tally FILE``: tally a vote from a JSON tally file, offline.

The file format is documented in :mod:`voting.tallyfile` and docs/rules.md.
The result goes to stdout as JSON (areas as exact decimal strings), with the
ballots the casting rules refused (``refused_ballots``: they do not count).  Bad
input exits with status 2 and exactly one line on stderr naming the offending
value and where it is (``ballots[17].unit: unknown unit "3-1202"``), and
nothing on stdout.

This module stays light on purpose — click, the standard library and the
pure ``voting`` engine only; no Flask, no SQLAlchemy — so that an auditor can
re-tally a published file quickly on any machine.
"""

from __future__ import annotations

import json
import sys

import click

from voting.errors import VotingError
from voting.tallyfile import load

BAD_INPUT = 2


def _one_line(message: str) -> str:
    """Escape control characters so the error stays on one line whatever the input held."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in message)


def _fail(message: str) -> None:
    click.echo(f"error: {_one_line(message)}", err=True)
    sys.exit(BAD_INPUT)


@click.command("tally")
@click.argument("file", metavar="FILE")
@click.option(
    "--indent",
    type=click.IntRange(0, 8),
    default=2,
    show_default=True,
    help="Indentation of the JSON output (0: one line).",
)
def tally(file: str, indent: int) -> None:
    """Tally the vote in FILE ("-" for standard input) and print the result as JSON.

    FILE lists units (owners, areas), items (ordinary/special or matter 1-9)
    and ballots; see docs/rules.md.  Exit status 2 on invalid input.
    """
    source = "<stdin>" if file == "-" else file
    try:
        if file == "-":
            text = sys.stdin.buffer.read()
        else:
            with open(file, "rb") as handle:
                text = handle.read()
    except OSError as exc:
        _fail(f"{source}: cannot read: {exc.strerror or exc}")
        return
    try:
        parsed = load(text, source)
        result = parsed.to_json()
    except VotingError as exc:
        _fail(str(exc))
        return
    except RecursionError:
        _fail(f"{source}: JSON nested too deeply")
        return
    for warning in parsed.warnings:  # identifiers read in their normal form
        click.echo(f"warning: {_one_line(warning)}", err=True)
    output = json.dumps(result, ensure_ascii=False, indent=indent or None)
    click.echo(output)
