"""``ownervote registry``: import real-estate registry extracts (不动产登记数据).

``ownervote registry import FILE --community NAME [--dry-run] [--json]``
validates the whole extract, prints every problem with its line and field
(exit status 2, nothing stored), or stores a new roster version and prints a
summary and the differences from the previous version.  With ``--json`` the
last line of standard output is one JSON object.  A progress bar is drawn on
standard error when it is a terminal.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ownervote.commands.invocation import database, settings


class _Bar:
    """A click progress bar per import stage, on standard error."""

    def __init__(self) -> None:
        self._bar: Any = None

    def stage(self, name: str, total: int) -> None:
        self.close()
        self._bar = click.progressbar(length=max(total, 1), label=f"{name:<11}", file=sys.stderr,
                                      show_pos=True)
        self._bar.__enter__()

    def advance(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


@click.group()
def registry() -> None:
    """Real-estate registry extracts (不动产登记): import, refresh, versions."""


@registry.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--community", required=True, help="Community (小区) name; created if new.")
@click.option("--dry-run", is_flag=True, help="Validate and report; store nothing.")
@click.option("--json", "as_json", is_flag=True, help="End with a JSON summary line.")
@click.option("--encoding", type=click.Choice(["utf-8", "utf-8-sig", "gb18030"]), default=None,
              help="Force the file encoding (default: detected).")
def import_(file: Path, community: str, dry_run: bool, as_json: bool,
            encoding: str | None) -> None:
    """Import FILE (CSV or JSON; UTF-8, UTF-8 with BOM, or GB18030/GBK)."""
    from identity.errors import ExtractError
    from ownervote.services import registry as service

    config = settings()
    data = file.read_bytes()
    bar = _Bar() if sys.stderr.isatty() else None
    try:
        with database(config) as session:
            try:
                report = service.import_extract(session, config, community, data,
                                                dry_run=dry_run, progress=bar,
                                                encoding=encoding)
            except ExtractError as exc:
                if bar is not None:
                    bar.close()
                for error in exc.errors:
                    click.echo(f"{file.name}: {error}", err=True)
                if exc.total > len(exc.errors):
                    click.echo(f"… and {exc.total - len(exc.errors)} more problems", err=True)
                click.echo(f"refused: {exc.total} problem(s); nothing was stored", err=True)
                if as_json:
                    click.echo(json.dumps({"refused": True, "problems": exc.total,
                                           "errors": [{"line": e.line, "field": e.field,
                                                       "message": e.message}
                                                      for e in exc.errors]},
                                          ensure_ascii=False))
                sys.exit(2)
            finally:
                if bar is not None:
                    bar.close()
    finally:
        del data
    _print_report(report)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, sort_keys=True))


def _print_report(report) -> None:  # an identity.store.importer.ImportReport
    s = report.summary
    click.echo(f"community      {report.community}")
    click.echo(f"file           {report.format}, {report.encoding}, {report.rows} rows")
    click.echo(f"units          {s.units} (co-owned {s.co_owned_units}, "
               f"developer-held {s.developer_units})")
    click.echo(f"owners         {s.owners}")
    click.echo(f"heads          {s.heads} (parking/storage not counted); "
               f"{s.heads_with_parking} if counted")
    click.echo(f"area           {s.total_area} m² in all; {s.counted_area} m² without "
               "parking/storage")
    click.echo("by status      " + ", ".join(f"{k} {v}" for k, v in sorted(s.by_status.items())))
    click.echo("by usage       " + ", ".join(f"{k} {v}" for k, v in sorted(s.by_usage.items())))
    click.echo("area source    " + ", ".join(f"{k} {v}"
                                             for k, v in sorted(s.by_area_source.items())))
    click.echo(f"roster digest  {report.digest}")
    for warning in report.warnings:
        click.echo(f"warning: {warning}")
    if report.ignored_columns:
        click.echo("ignored columns: " + ", ".join(report.ignored_columns))
    if report.carried_over:
        click.echo("committee changes carried over: " + ", ".join(report.carried_over))
    if report.diff is not None:
        click.echo(f"changes since version {report.previous_version}:")
        for line in report.diff.lines():
            click.echo(line)
    if report.dry_run:
        click.echo("dry run: nothing stored")
    elif report.unchanged:
        click.echo(f"unchanged: the roster equals version {report.version}; nothing stored")
    else:
        click.echo(f"stored as roster version {report.version}")


@registry.command("versions")
@click.option("--community", required=True)
def versions(community: str) -> None:
    """List the roster versions of a community with their digests."""
    from ownervote.services import registry as service

    with database() as session:
        found = service.versions(session, community)
    for v in found:
        click.echo(f"{v.version:>4}  {v.created_at:%Y-%m-%d %H:%M}  {v.source:<24} "
                   f"{v.digest}  units {v.units} heads {v.heads}")
