"""Benchmark casting: signed ballots through the real HTTP API into the real ledger.

    .venv/bin/python bench/cast.py --db sqlite --ballots 3000 --concurrency 32
    .venv/bin/python bench/cast.py --db postgres --ballots 3000 --concurrency 32
    .venv/bin/python bench/cast.py --db sqlite --ballots 3000 --concurrency 32 --secret

Each run starts from nothing: a fresh instance folder and database (SQLite in
the instance folder; PostgreSQL: a new database on ``OWNERVOTE_TEST_POSTGRES_URL``
or 127.0.0.1:5432, dropped afterwards), a registry import of ``--heads`` flats,
an open assembly and one enrolled P-256 device key per head (set-up, not
timed).  Then ``ownervote serve --workers W`` (gevent workers, or
``--worker-class gthread`` with ``--threads T``) is started and:

1. baseline: ``GET /healthz`` (a trivial Flask view, no database) from the same
   ``C`` client connections, ``--baseline-requests`` in all;
2. casting: ``N`` ballots, pre-signed with each head's key (ECDSA P-256, P1363,
   exactly what a phone's WebCrypto sends), ``POST /api/v1/assemblies/<id>/ballots``
   from ``C`` keep-alive connections in ``--client-processes`` processes; a head's
   ballots (revotes after the first round) go in order from one connection;
   With ``--secret`` the assembly's ballots are secret (two trustees' key ceremony
   recorded before the notice) and each ballot's two motions are encrypted to the
   election key with their proofs (docs/secret-ballots.md §10), built in the set-up;
3. checks: the chain and Merkle root, every receipt against the newest
   checkpoint, no ballot missing or counted twice, and the exported bundle
   through ``ownervote verify``.

Throughput is acknowledged ballots over the wall time from the first request to
the last answer; latencies are per request as the client saw them.  The last
line is JSON; ``cpu_speed_ms`` (before and after) says how fast the machine was
running at the time (:func:`cpu_speed_ms`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.castload import prepare, presign, split  # noqa: E402
from tests.support.loaddriver import percentile, run_clients  # noqa: E402
from tests.support.servers import Server  # noqa: E402


def database(kind: str, instance: Path) -> tuple[str, object]:
    if kind == "sqlite":
        return f"sqlite:///{instance / 'ownervote.sqlite3'}", (lambda: None)
    from tests.support.postgres import create_database, server_url

    return create_database(server_url(), tag="bench_")


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--ballots", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--heads", type=int, default=None, help="default: ballots / 2, at most 2000")
    ap.add_argument("--workers", type=int, default=None, help="gunicorn workers (serve default)")
    ap.add_argument("--threads", type=int, default=None, help="threads per gthread worker")
    ap.add_argument("--worker-class", choices=("gevent", "gthread"), default=None,
                    help="gunicorn worker (serve default: gevent)")
    ap.add_argument("--client-processes", type=int, default=2)
    ap.add_argument("--baseline-requests", type=int, default=None, help="default: 2 × ballots")
    ap.add_argument("--redis", default=os.environ.get("OWNERVOTE_REDIS_URL", "redis://127.0.0.1:6379/15"),
                    help="throttling store, as in production ('' for each worker's memory)")
    ap.add_argument("--no-bundle", action="store_true", help="skip export + ownervote verify")
    ap.add_argument("--keep", action="store_true", help="keep the instance folder")
    ap.add_argument("--py-spy", metavar="PREFIX", default=None,
                    help="record the server's processes with py-spy while casting "
                         "(collapsed stacks in PREFIX-<pid>.txt; py-spy on the PATH or in .venv)")
    ap.add_argument("--secret", action="store_true",
                    help="a secret assembly: each ballot's two motions encrypted, with proofs")
    args = ap.parse_args(argv)
    heads = args.heads or max(1, min(2000, args.ballots // 2))
    load0, speed0 = os.getloadavg(), cpu_speed_ms()

    tmp = Path(tempfile.mkdtemp(prefix="ownervote-bench-"))
    instance = tmp / "instance"
    url, drop = database(args.db, instance)
    extra = {"OWNERVOTE_REDIS_URL": args.redis if args.redis and _reachable(args.redis) else ""}
    if args.workers:
        extra["OWNERVOTE_WEB_WORKERS"] = str(args.workers)
    if args.threads:
        extra["OWNERVOTE_WEB_THREADS"] = str(args.threads)
    if args.worker_class:
        extra["OWNERVOTE_WEB_WORKER_CLASS"] = args.worker_class
    worker_class = extra.get("OWNERVOTE_WEB_WORKER_CLASS") or os.environ.get(
        "OWNERVOTE_WEB_WORKER_CLASS", "gevent")
    server = Server(instance, url, extra_env=extra)
    workers, threads = _serve_shape(server)
    server.workers, server.threads = workers, threads
    try:
        t0 = time.perf_counter()
        prepared = prepare(server.settings(), heads, secret=args.secret)[0]
        work = presign(prepared, args.ballots)
        setup_s = time.perf_counter() - t0
        print(f"set-up: {heads} heads enrolled, {args.ballots} ballots signed "
              f"in {setup_s:.1f} s", flush=True)
        server.start()

        base_n = args.baseline_requests or 2 * args.ballots
        per = max(1, base_n // args.concurrency)
        base = run_clients(server, "get", [per] * args.concurrency,
                           processes=args.client_processes, path="/healthz")
        base_ok = sum(1 for r in base.results if r[3] == 200)
        baseline_rps = base_ok / base.seconds
        print(f"baseline GET /healthz: {baseline_rps:,.0f} req/s, p50 "
              f"{percentile([r[4] for r in base.results], 50):.1f} ms", flush=True)

        path = f"/api/v1/assemblies/{prepared.assembly_id}/ballots"
        spies = _spy(server, args.py_spy) if args.py_spy else []
        cpu0 = server.cpu_seconds()
        run = run_clients(server, "cast", split(work, args.concurrency),
                          processes=args.client_processes, path=path)
        server_cpu = server.cpu_seconds() - cpu0
        for spy in spies:
            spy.send_signal(2)  # SIGINT: py-spy writes what it recorded
            spy.wait(timeout=60)
        acked = run.by("acknowledged")
        lat = [r[4] for r in acked]
        errors: dict[str, int] = {}
        for r in run.results:
            if r[2] != "acknowledged":
                key = f"{r[3]} {str(r[7])[:60]}"
                errors[key] = errors.get(key, 0) + 1
        load1, speed1 = os.getloadavg(), cpu_speed_ms()
        server.stop()

        from tests.support.ledgercheck import check_run

        checked = check_run(server, prepared, run.results,
                            bundle_dir=None if args.no_bundle else tmp)
        result = {
            "db": args.db, "secret": args.secret, "worker_class": worker_class,
            "workers": workers,
            "threads": threads if worker_class == "gthread" else None,
            "throttle_store": "redis" if extra["OWNERVOTE_REDIS_URL"] else "memory",
            "concurrency": args.concurrency, "client_processes": args.client_processes,
            "ballots": args.ballots, "heads": heads,
            "ballots_per_s": round(len(acked) / run.seconds, 1),
            "p50_ms": round(percentile(lat, 50), 2), "p90_ms": round(percentile(lat, 90), 2),
            "p99_ms": round(percentile(lat, 99), 2), "max_ms": round(max(lat, default=0), 2),
            "baseline_rps": round(baseline_rps, 1),
            "acknowledged": len(acked), "errors": sum(errors.values()),
            "error_kinds": dict(list(errors.items())[:5]),
            "in_ledger": checked["in_ledger"], "missing": checked["missing"],
            "receipts_verified": checked["receipts_verified"], "chain_ok": checked["chain_ok"],
            "ballots_per_checkpoint": round(len(acked) / max(1, checked["checkpoints"] - 2), 2),
            "bundle_valid": checked.get("bundle_valid"),
            "client_cpu_s": round(run.cpu, 2),
            "client_cpu_per_ballot_ms": round(1000 * run.cpu / max(1, len(run.results)), 3),
            "server_cpu_s": round(server_cpu, 2),
            "server_cpu_per_ballot_ms": round(1000 * server_cpu / max(1, len(acked)), 3),
            "seconds": round(run.seconds, 2), "cpus": os.cpu_count(),
            "loadavg_before": [round(x, 2) for x in load0],
            "cpu_speed_ms": [speed0, speed1],
            "loadavg_after": [round(x, 2) for x in load1],
            "problems": checked["problems"][:5],
        }
    finally:
        server.stop()
        if server.process is not None and server.process.returncode not in (0, None, -15):
            print(server.log_text()[-3000:], file=sys.stderr)
        drop()
        if not args.keep:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept {tmp}", file=sys.stderr)
    print(f"cast: {result['ballots_per_s']:,.0f} ballots/s, p50 {result['p50_ms']} ms, "
          f"p99 {result['p99_ms']} ms ({workers} {worker_class} workers, "
          f"{args.concurrency} clients); client CPU {result['client_cpu_s']} s, server CPU "
          f"{result['server_cpu_s']} s; {result['acknowledged']} acknowledged, "
          f"{result['in_ledger']} in the ledger, chain ok {result['chain_ok']}, "
          f"bundle valid {result['bundle_valid']}")
    print(json.dumps(result, ensure_ascii=False))
    return result


def cpu_speed_ms() -> float:
    """CPU milliseconds a fixed pure-Python loop takes now (lower is faster).

    On a shared virtual machine the same code runs at very different speeds from one
    minute to the next (seen here: 420 to 800 ms for this loop), so the figures of
    a run are read against it.
    """
    t = time.process_time()
    total = 0
    for i in range(3_000_000):
        total += i
    return round(1000 * (time.process_time() - t), 1)


def _spy(server: Server, prefix: str) -> list:
    """py-spy recording each of the server's processes (its own CPU load is the client's)."""
    import shutil
    import subprocess

    exe = shutil.which("py-spy") or str(ROOT / ".venv" / "bin" / "py-spy")
    return [subprocess.Popen([exe, "record", "--pid", str(pid), "--rate", "250", "--idle",
                              "--format", "raw", "--output", f"{prefix}-{pid}.txt"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for pid in server.pids()]


def _reachable(url: str) -> bool:
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return True
    except Exception:  # noqa: BLE001
        print(f"note: {url} does not answer; throttling counts in each worker's memory",
              file=sys.stderr)
        return False


def _serve_shape(server: Server) -> tuple[int, int]:
    """The worker and thread counts ``ownervote serve`` will use with this environment."""
    from ownervote.commands.serve import default_threads, default_workers

    env = server.env
    return (int(env.get("OWNERVOTE_WEB_WORKERS") or default_workers()),
            int(env.get("OWNERVOTE_WEB_THREADS") or default_threads()))


if __name__ == "__main__":
    out = main()
    ok = (out["missing"] == 0 and out["chain_ok"] and out["errors"] == 0
          and out["acknowledged"] == out["in_ledger"])
    sys.exit(0 if ok else 1)
