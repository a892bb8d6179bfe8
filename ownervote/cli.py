"""The ``ownervote`` console script.

Each command lives in its own module under ``ownervote.commands`` and is
imported only when run, so ``ownervote verify`` or ``ownervote tally`` start
without loading Flask or the database layer.  Commands call the service layer
(``ownervote.services``), never storage, and check the database's schema first
(``ownervote.commands.invocation``).
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

# command name -> (module, attribute, one-line help shown by ``--help``)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "demo": ("ownervote.commands.demo", "demo", "Set up the demo on SQLite and serve it."),
    "init-demo": ("ownervote.commands.demo", "init_demo", "Load the demo data only."),
    "serve": ("ownervote.commands.serve", "serve", "Run the web service (gunicorn workers)."),
    "db": ("ownervote.commands.db", "db", "Database schema: upgrade, current."),
    "registry": ("ownervote.commands.registry", "registry",
                 "Import real-estate registry extracts."),
    "assembly": ("ownervote.commands.assembly", "assembly", "List and inspect assemblies."),
    "tally": ("ownervote.commands.tally", "tally", "Tally a vote from a JSON file."),
    "bundle": ("ownervote.commands.bundle", "bundle", "Export an assembly's audit bundle."),
    "verify": ("ownervote.commands.verify", "verify", "Verify an audit bundle offline."),
    "keys": ("ownervote.commands.keys", "keys", "Log signing key and personal-data keys."),
    "staff": ("ownervote.commands.staff", "staff",
              "Staff accounts: create, list, deactivate, reset-totp."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module_name, attribute, _help = spec
        module = importlib.import_module(module_name)
        command: click.Command = getattr(module, attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Show help lines without importing every command module.
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ownervote")
def main() -> None:
    """ownervote: verifiable e-voting for owners' assemblies (业主大会电子投票).

    Configuration comes from OWNERVOTE_* environment variables; see
    docs/configuration.md.
    """
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
