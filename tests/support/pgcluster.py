"""Stop and start a THROW-AWAY PostgreSQL cluster (``postgres.start_throwaway_cluster``).

Fault tests restart the database under load.  They must never touch the shared
server on 127.0.0.1:5432 that other test runs use, so :func:`control` refuses
any cluster whose data directory is not one ``start_throwaway_cluster`` made
(``ownervote-pg-*`` in the temporary folder).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.support.postgres import _pg_bin, _plain


@dataclass
class Cluster:
    datadir: Path
    options: list[str]  # postgres command-line options of the running server
    bindir: str

    def _run_as(self) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def stop(self, mode: str = "fast") -> None:
        """``fast``: clients disconnected, clean shutdown; ``immediate``: like a crash."""
        subprocess.run([*self._run_as(), f"{self.bindir}/pg_ctl", "-D", str(self.datadir),
                        "-m", mode, "-w", "stop"], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        opts = " ".join(shlex.quote(o) for o in self.options)
        subprocess.run([*self._run_as(), f"{self.bindir}/pg_ctl", "-D", str(self.datadir), "-w",
                        "-l", str(self.datadir / "log"), "-o", opts, "start"],
                       check=True, capture_output=True, timeout=120)


def control(url: str) -> Cluster:
    """The throw-away cluster serving ``url`` (refuses any other server)."""
    with psycopg.connect(_plain(url), connect_timeout=5) as conn:
        datadir = Path(conn.execute("SHOW data_directory").fetchone()[0])
    tmp = Path(tempfile.gettempdir()).resolve()
    if datadir.resolve().parent != tmp or not datadir.name.startswith("ownervote-pg-"):
        raise RuntimeError(f"{datadir} is not a throw-away cluster; refusing to stop it")
    words = shlex.split((datadir / "postmaster.opts").read_text())
    # postmaster.opts: the postgres binary, then its options ("-D" dir is given by pg_ctl)
    options, skip = [], False
    for w in words[1:]:
        if skip:
            skip = False
            continue
        if w == "-D":
            skip = True
            continue
        options.append(w)
    return Cluster(datadir, options, _pg_bin())
