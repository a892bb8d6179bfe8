"""Benchmark: import a 100,000-row registry extract through ``ownervote registry import``.

    .venv/bin/python bench/registry_import.py [--rows 100000] [--db sqlite|postgres|both]

A synthetic extract (``identity.synthetic.large_extract``: 30-floor buildings,
~13 % co-owned units, developer-held, delivered and registered units, valid
check digits) is written as a GB18030 CSV with Chinese headers — the usual
government export — to a temporary folder.  For each database a fresh one is
created and migrated (not timed): a new SQLite file, or a new database on the
PostgreSQL server at 127.0.0.1:5432 (reached through database ``test``; set
``OWNERVOTE_BENCH_POSTGRES_URL`` to use another server), dropped afterwards.

Timed, as a new process (start-up included): the first import of the extract,
then a re-import of the same file (the refresh path: validation, digest and
diff against the stored version; nothing is written).  The last line is JSON;
the target is ``import_seconds < 30`` (wall clock) on each database.  The
importer's own CPU time is printed too: on a shared machine the wall clock
also counts other processes' load.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from identity.synthetic import large_extract, to_csv  # noqa: E402
from ownervote.migrate import upgrade  # noqa: E402

TARGET_SECONDS = 30.0
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _env(db_url: str, folder: Path) -> dict[str, str]:
    def key(n: int) -> str:
        return base64.urlsafe_b64encode(os.urandom(n)).decode().rstrip("=")

    env = dict(os.environ)
    env.update({
        "OWNERVOTE_ENV": "test",
        "OWNERVOTE_INSTANCE_DIR": str(folder),
        "OWNERVOTE_DATABASE_URL": db_url,
        "OWNERVOTE_SECRET_KEY": key(32),
        "OWNERVOTE_ID_HASH_KEY": key(32),
        "OWNERVOTE_PII_KEYS": "bench:" + key(32),
    })
    return env


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _import(path: Path, env: dict[str, str]) -> tuple[float, float, dict]:
    cpu = _cpu()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "ownervote.cli", "registry", "import", str(path),
         "--community", "基准小区", "--json"],
        env=env, capture_output=True, text=True, cwd=ROOT, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-2000:] + done.stderr[-4000:])
        raise SystemExit(f"import failed with exit status {done.returncode}")
    return seconds, _cpu() - cpu, json.loads(done.stdout.strip().splitlines()[-1])


def _postgres_database(server: str) -> tuple[str, callable]:
    import psycopg

    plain = server.replace("postgresql+psycopg://", "postgresql://", 1)
    name = f"ownervote_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return server.rsplit("/", 1)[0] + "/" + name, drop


def run(db: str, extract: Path, folder: Path) -> dict[str, float | int]:
    drop = None
    if db == "sqlite":
        url = f"sqlite:///{folder / 'bench.sqlite3'}"
    else:
        url, drop = _postgres_database(os.environ.get("OWNERVOTE_BENCH_POSTGRES_URL", DEFAULT_PG))
    try:
        upgrade(url)
        env = _env(url, folder)
        first, first_cpu, summary = _import(extract, env)
        print(f"{db:<9} import   {first:6.2f} s wall, {first_cpu:6.2f} s CPU of the importer "
              f"({summary['units']} units, {summary['heads']} heads, {summary['total_area']} m², "
              f"version {summary['version']})")
        again, again_cpu, second = _import(extract, env)
        assert second["unchanged"], "re-importing the same extract must change nothing"
        print(f"{db:<9} refresh  {again:6.2f} s wall, {again_cpu:6.2f} s CPU (same file: "
              "unchanged)")
        return {"import_seconds": round(first, 2), "import_cpu_seconds": round(first_cpu, 2),
                "refresh_seconds": round(again, 2), "refresh_cpu_seconds": round(again_cpu, 2),
                "units": summary["units"], "heads": summary["heads"]}
    finally:
        if drop is not None:
            drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ownervote-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        extract = folder / "extract-gb18030.csv"
        extract.write_bytes(to_csv(large_extract(args.rows, args.seed), chinese=True)
                            .encode("gb18030"))
        print(f"generated {args.rows} rows ({extract.stat().st_size / 2**20:.1f} MiB, GB18030) "
              f"in {time.perf_counter() - started:.1f} s; load average {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} CPUs")
        dbs = ("sqlite", "postgres") if args.db == "both" else (args.db,)
        results = {db: run(db, extract, folder) for db in dbs}
    ok = all(r["import_seconds"] < TARGET_SECONDS for r in results.values())
    print(json.dumps({"benchmark": "registry_import", "rows": args.rows,
                      "target_seconds": TARGET_SECONDS, "ok": ok, **results}))


if __name__ == "__main__":
    main()
