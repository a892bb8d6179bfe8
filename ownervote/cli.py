"""The ``ownervote`` console script.

Each command lives in its own module under ``ownervote.commands`` and is
imported only when run, so ``ownervote verify`` or ``ownervote tally`` start
without loading Flask or the database layer.  Commands call the service layer
(``ownervote.services``), never storage, and check the database's schema first
(``ownervote.commands.invocation``).

``pip install ownervote`` is the offline verifier alone (click, cryptography,
coincurve): ``verify``, ``tally`` and ``--help`` work there.  The other commands need
the ``server`` extra; run without it, they say so in one line and exit with status 2
(:func:`missing_dependency`).
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import NoReturn

import click

from ownervote import __version__

OURS = ("voting", "identity", "ledger", "web", "ownervote")
SERVER_EXTRA = "pip install 'ownervote[server]'"
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
    "witness": ("ownervote.commands.witness", "witness",
                "Run a C2SP tlog-witness that cosigns trusted logs."),
    "staff": ("ownervote.commands.staff", "staff",
              "Staff accounts: create, list, deactivate, reset-totp."),
    "trustee": ("ownervote.commands.trustee", "trustee",
                "A secret-ballot trustee's key ceremony and decryption (offline)."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module_name, attribute, _help = spec
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            missing_dependency(exc, cmd_name)
        command: click.Command = getattr(module, attribute)
        return command

    def invoke(self, ctx: click.Context) -> object:
        # A command imports some libraries only when it runs (gevent for ``witness serve``).
        try:
            return super().invoke(ctx)
        except ModuleNotFoundError as exc:
            missing_dependency(exc, ctx.invoked_subcommand)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Show help lines without importing every command module.
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def missing_dependency(exc: ModuleNotFoundError, command: str | None) -> NoReturn:
    """A library the command needs is not installed: one line naming it, exit status 2.

    Only a library that is not one of ours counts (a missing module of ours is a bug
    and keeps its traceback).  The base install is the verifier alone; every such
    library belongs to the ``server`` extra.
    """
    name = exc.name or ""
    if not name or name.split(".")[0] in OURS:
        raise exc
    what = f"ownervote {command}" if command else "ownervote"
    click.echo(
        f"{what}: this command needs the server's packages ({name} is not installed): "
        f"{SERVER_EXTRA}",
        err=True,
    )
    sys.exit(2)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="ownervote")
def main() -> None:
    """ownervote: verifiable e-voting for owners' assemblies (业主大会电子投票).

    Configuration comes from OWNERVOTE_* environment variables; see
    docs/configuration.md.  `pip install ownervote` installs the offline verifier
    (verify, tally); the other commands need `pip install 'ownervote[server]'`.
    """
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
