"""Fault scenarios against a real ``ownervote serve``: shared by the tests and bench/faults.py.

Each scenario prepares an open assembly (heads' device keys enrolled directly in
the database), starts the server (several gunicorn workers), lets client
processes cast pre-signed ballots through HTTP in ``retry`` mode (a broken
connection or a 503 sends the same signed ballot again; see
:mod:`tests.support.httpload`), injects its fault while they run, and finally
checks the log with :func:`tests.support.ledgercheck.check_run` (chain, every
receipt, nothing acknowledged missing, no ballot twice, the exported bundle
through ``ownervote verify``).

* :func:`concurrency` — no fault: many clients, several workers;
* :func:`kills` — SIGKILL of the whole gunicorn process group, then a restart,
  ``n`` times, each once a further share of the ballots is in the log;
* :func:`postgres_restarts` — a throw-away PostgreSQL cluster stopped (``fast``
  then ``immediate``, i.e. crash-like) and started again under load; while it
  is down one ballot is sent on purpose and its answer must be ``503`` with
  ``Retry-After`` and ``{"error": "retry"}``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text

from tests.support.castload import Prepared, prepare, presign, split
from tests.support.httpload import Broken, Conn, post_bytes
from tests.support.ledgercheck import check_run
from tests.support.loaddriver import run_clients
from tests.support.servers import Server


@dataclass
class Report:
    scenario: str
    db: str
    ballots: int
    clients: int
    workers: int
    faults: int = 0
    probes: list[dict[str, Any]] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict)
    bad_503: list[dict] = field(default_factory=list)
    check: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.check.get("ok")) and self.check.get("in_ledger") == self.ballots \
            and not self.bad_503

    def to_json(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "db": self.db, "ballots": self.ballots,
                "clients": self.clients, "workers": self.workers, "faults": self.faults,
                "probes": self.probes, "retryable_answers_seen": self.seen,
                "malformed_503": self.bad_503[:3], "seconds": round(self.seconds, 1),
                "ok": self.ok, **{k: v for k, v in self.check.items() if k != "ok"}}


def ledger_ballots(url: str, assembly_id: int) -> int:
    """Ballots in the log right now (read by this process, not the server)."""
    from ownervote.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(
                text("SELECT count(*) FROM ledger_entry WHERE assembly_id = :a "
                     "AND kind = 'ballot'"), {"a": assembly_id}).scalar() or 0)
    finally:
        engine.dispose()


def wait_for_ballots(url: str, assembly_id: int, at_least: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    n = ledger_ballots(url, assembly_id)
    while n < at_least and time.monotonic() < deadline:
        time.sleep(0.1)
        n = ledger_ballots(url, assembly_id)
    return n


def _scenario(name: str, tmp: Path, url: str, db: str, *, heads: int, per_head: int,
              clients: int, workers: int, threads: int, deadline: float,
              during: Callable[[Server, Prepared, Report, dict], None] | None,
              extra_env: dict[str, str] | None = None, reserve: int = 0) -> Report:
    server = Server(tmp / "instance", url, workers=workers, threads=threads,
                    extra_env=extra_env or {})
    prepared = prepare(server.settings(), heads + reserve)[0]
    lanes_heads = sorted(prepared.keys)[:heads]
    work = presign(prepared, heads * per_head, heads=lanes_heads)
    spare = {h: presign(prepared, 1, heads=[h])[h][0] for h in sorted(prepared.keys)[heads:]}
    report = Report(name, db, heads * per_head + 0, clients, workers)
    extra: dict[str, Any] = {"spare": spare, "results": []}
    server.start()
    t0 = time.monotonic()
    try:
        run = run_clients(server, "retry", split(work, clients), processes=2,
                          path=f"/api/v1/assemblies/{prepared.assembly_id}/ballots",
                          deadline=time.time() + deadline,
                          during=(lambda: during(server, prepared, report, extra)) if during
                          else None)
        report.seconds = time.monotonic() - t0
        report.seen, report.bad_503 = run.seen, run.bad_503
        results = run.results + extra["results"]
        report.ballots += len(extra["results"])
    finally:
        server.stop()
    report.check = check_run(server, prepared, results, bundle_dir=tmp)
    return report


def concurrency(tmp: Path, url: str, db: str, *, heads: int = 60, per_head: int = 4,
                clients: int = 12, workers: int = 3, threads: int = 4,
                deadline: float = 120) -> Report:
    return _scenario("concurrency", tmp, url, db, heads=heads, per_head=per_head,
                     clients=clients, workers=workers, threads=threads, deadline=deadline,
                     during=None)


def kills(tmp: Path, url: str, db: str, *, n: int = 3, heads: int = 80, per_head: int = 4,
          clients: int = 10, workers: int = 2, threads: int = 4,
          deadline: float = 150) -> Report:
    total = heads * per_head

    def during(server: Server, prepared: Prepared, report: Report, _extra: dict) -> None:
        for k in range(n):
            got = wait_for_ballots(url, prepared.assembly_id, total * (k + 1) // (n + 2))
            if got >= total:
                return  # the clients finished first: the report shows fewer faults
            server.kill()
            report.faults += 1
            server.start()

    return _scenario("sigkill", tmp, url, db, heads=heads, per_head=per_head,
                     clients=clients, workers=workers, threads=threads, deadline=deadline,
                     during=during)


def probe(server: Server, prepared: Prepared, body: bytes) -> dict[str, Any]:
    """Send one ballot now; what came back (status, Retry-After, JSON)."""
    conn = Conn("127.0.0.1", server.port, timeout=30)
    path = f"/api/v1/assemblies/{prepared.assembly_id}/ballots"
    try:
        status, headers, raw = conn.request(post_bytes("127.0.0.1", server.port, path, body))
    except Broken as exc:
        return {"status": 0, "error": str(exc)}
    finally:
        conn.close()
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    return {"status": status, "retry_after": headers.get("retry-after"), "json": data,
            "raw": raw.decode(errors="replace") if status == 201 else None}


def postgres_restarts(tmp: Path, url: str, *, heads: int = 60, per_head: int = 4,
                      clients: int = 10, workers: int = 2, threads: int = 4,
                      deadline: float = 150, restarts: int = 2,
                      down_seconds: float = 0.0) -> Report:
    """``url``: a database on a THROW-AWAY cluster (``postgres.start_throwaway_cluster``).

    ``restarts`` stops, alternately clean (``fast``) and crash-like (``immediate``),
    spread over the run, each followed by ``down_seconds`` with the database away."""
    from tests.support.pgcluster import control

    cluster = control(url)
    total = heads * per_head

    def during(server: Server, prepared: Prepared, report: Report, extra: dict) -> None:
        spare = iter(extra["spare"].items())
        for k in range(restarts):
            got = wait_for_ballots(url, prepared.assembly_id, total * (k + 1) // (restarts + 1))
            if got >= total:
                return
            mode = ("fast", "immediate")[k % 2]
            cluster.stop(mode)
            report.faults += 1
            head, body = next(spare)
            report.probes.append({"mode": mode, **probe(server, prepared, body)})
            time.sleep(down_seconds)
            cluster.start()
            for _ in range(300):  # the probe's ballot, once the database is back
                answer = probe(server, prepared, body)
                if answer["status"] != 503:
                    break
                time.sleep(0.1)
            extra["results"].append([head, 1, "acknowledged" if answer["status"] == 201
                                     else "refused", answer["status"], 0.0, 1,
                                     answer.get("raw"), json.dumps(answer.get("json"))])

    return _scenario("postgres-restart", tmp, url, "postgresql", heads=heads,
                     per_head=per_head, clients=clients, workers=workers, threads=threads,
                     deadline=deadline, during=during, reserve=restarts)
