"""``ownervote witness serve``: run a C2SP tlog-witness for ownervote logs.

Exit status 2 when the key file, the logs file or the state directory is unusable.  With
``--parent-pid`` it stops once that process has ended (``ownervote demo``'s witness ends
with the demo, however the demo was stopped).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ownervote.services.witness import WitnessService


@click.group()
def witness() -> None:
    """A witness that cosigns the checkpoints of logs it trusts (C2SP tlog-witness)."""


@witness.command()
@click.option("--key", "key_file", type=click.Path(dir_okay=False), required=True,
              help="The witness's cosigning key file (`ownervote keys witness-new`).")
@click.option("--logs", "logs_file", type=click.Path(dir_okay=False), required=True,
              help="Trusted log verifier keys, one per line: '<vkey> [<origin pattern>]'.")
@click.option("--state", "state_dir", type=click.Path(file_okay=False), required=True,
              help="Directory for the latest cosigned checkpoint of each log, and evidence.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=7380, show_default=True)
@click.option("--parent-pid", type=int, default=None,
              help="Stop when the process with this id (the one that started the witness, "
                   "as `ownervote demo` does) has ended.")
def serve(key_file: str, logs_file: str, state_dir: str, host: str, port: int,
          parent_pid: int | None) -> None:
    """Serve POST /add-checkpoint (C2SP tlog-witness) until interrupted."""
    from ledger.errors import LedgerError
    from ownervote.services.witness import WitnessService

    try:
        service = WitnessService.open(Path(key_file), Path(logs_file), Path(state_dir))
    except (LedgerError, OSError, UnicodeDecodeError) as exc:
        click.echo(f"ownervote witness: {exc}", err=True)
        sys.exit(2)
    run(service, host, port, parent_pid=parent_pid)


#: How often a witness started with ``--parent-pid`` looks whether its parent still runs.
PARENT_POLL_SECONDS = 0.5


def parent_alive(parent_pid: int) -> bool:
    """Whether the process that started this one still runs: once it has ended, this process
    has another parent (init or a subreaper), whatever the platform, and a new process
    that reused the id is never this one's parent."""
    return os.getppid() == parent_pid


def run(service: WitnessService, host: str, port: int, *,
        parent_pid: int | None = None) -> None:
    """Serve the witness application with gevent's WSGI server (one process: the state's
    lock serialises each origin's compare-and-persist, across processes as well)."""
    from gevent.pywsgi import WSGIServer

    from web.witness import create_witness_app

    logging.getLogger("ownervote.witness").setLevel(logging.INFO)
    app = create_witness_app(service)
    click.echo(service.describe(), nl=False)
    click.echo(f"listening on http://{host}:{port}/add-checkpoint", err=True)
    server = WSGIServer((host, port), app, log=None)
    if parent_pid is not None:
        import gevent

        def watch_parent() -> None:
            while parent_alive(parent_pid):
                gevent.sleep(PARENT_POLL_SECONDS)
            click.echo(f"the parent process {parent_pid} has ended: stopping", err=True)
            server.stop(timeout=1)

        gevent.spawn(watch_parent)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
