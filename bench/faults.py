"""Long fault runs against a real ``ownervote serve`` (the tests run short versions).

    .venv/bin/python bench/faults.py                         # every scenario, both databases
    .venv/bin/python bench/faults.py --scenario sigkill --db sqlite --kills 10
    .venv/bin/python bench/faults.py --scenario pg-restart --restarts 4

Scenarios (see ``tests/support/faults.py``):

* ``concurrency`` — many clients casting through HTTP against several workers;
* ``sigkill``     — the whole gunicorn process group SIGKILLed and restarted
  ``--kills`` times under load;
* ``pg-restart``  — a THROW-AWAY PostgreSQL cluster (``start_throwaway_cluster``,
  never the shared server) stopped and started under load, alternately clean
  (``fast``) and crash-like (``immediate``), ``--restarts`` times.

Clients send pre-signed P-256 ballots and retry the same ballot after a broken
connection or a 503.  Afterwards: one chain, every receipt handed out verifies,
nothing acknowledged is missing, no (head, ballot number) twice, every ballot
in the log exactly once, and the exported bundle passes ``ownervote verify``.
One JSON line per scenario; exit status 1 if any failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import faults  # noqa: E402


def _database(kind: str, tmp: Path):
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'ownervote.sqlite3'}", (lambda: None)
    from tests.support.postgres import create_database, server_url

    return create_database(server_url(), tag="faults_")


def _restarts(tmp: Path, args) -> faults.Report:
    """faults.postgres_restarts on a new throw-away cluster, with the long run's settings."""
    from tests.support.postgres import create_database, start_throwaway_cluster

    url, _drop = create_database(start_throwaway_cluster(), tag="faults_")
    # control() (inside) refuses anything but a throw-away cluster
    return faults.postgres_restarts(tmp, url, heads=args.heads, per_head=args.per_head,
                                    clients=args.clients, workers=args.workers,
                                    threads=args.threads, deadline=args.deadline,
                                    restarts=args.restarts, down_seconds=args.down_seconds)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", choices=("all", "concurrency", "sigkill", "pg-restart"),
                    default="all")
    ap.add_argument("--db", choices=("both", "sqlite", "postgres"), default="both")
    ap.add_argument("--heads", type=int, default=400)
    ap.add_argument("--per-head", type=int, default=5)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--kills", type=int, default=8)
    ap.add_argument("--restarts", type=int, default=4)
    ap.add_argument("--down-seconds", type=float, default=2.0,
                    help="how long PostgreSQL stays down each time")
    ap.add_argument("--deadline", type=float, default=900, help="client retry budget, seconds")
    args = ap.parse_args(argv)
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    wanted = ["concurrency", "sigkill", "pg-restart"] if args.scenario == "all" \
        else [args.scenario]
    failed = 0
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", file=sys.stderr)
    for scenario in wanted:
        for db in (["postgres"] if scenario == "pg-restart" else dbs):
            tmp = Path(tempfile.mkdtemp(prefix=f"ownervote-faults-{scenario}-"))
            drop = lambda: None  # noqa: E731
            try:
                if scenario == "pg-restart":
                    report = _restarts(tmp, args)
                else:
                    url, drop = _database(db, tmp)
                    name = "postgresql" if db == "postgres" else db
                    if scenario == "concurrency":
                        report = faults.concurrency(
                            tmp, url, name, heads=args.heads, per_head=args.per_head,
                            clients=args.clients, workers=args.workers, threads=args.threads,
                            deadline=args.deadline)
                    else:
                        report = faults.kills(
                            tmp, url, name, n=args.kills, heads=args.heads,
                            per_head=args.per_head, clients=args.clients,
                            workers=args.workers, threads=args.threads,
                            deadline=args.deadline)
                out = report.to_json()
            except Exception as exc:  # noqa: BLE001 - report and go on with the others
                out = {"scenario": scenario, "db": db, "ok": False,
                       "error": f"{type(exc).__name__}: {exc}"}
            finally:
                try:
                    drop()
                except Exception:  # noqa: BLE001
                    pass
                shutil.rmtree(tmp, ignore_errors=True)
            failed += not out.get("ok")
            print(json.dumps(out, ensure_ascii=False), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
