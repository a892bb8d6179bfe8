"""Benchmark the offline verifier: build a bundle of N signed ballots, verify it.

    .venv/bin/python bench/verify.py                    # 1,000,000 ballots
    .venv/bin/python bench/verify.py --ballots 100000   # a quicker run

Ballots are cast round-robin by ``--heads`` owners (later ones are revotes),
signed with ECDSA P-256 on every core.  The verification runs in a fresh
process; its wall time, ballots/s (total and per core), CPU use of the whole
process tree and peak memory (largest process, and main + workers) are
printed.  With ``--compare`` a bundle of a tenth of the ballots is verified
too, to show that memory does not grow with the number of ballots.  The last
line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = r"""
import json, os, resource, sys, time
from ledger.verifier import verify_bundle
t0 = time.perf_counter()
report = verify_bundle(sys.argv[1], workers=int(sys.argv[2]))
wall = time.perf_counter() - t0
me = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "valid": report.valid, "failed": [k for k, v in report.checks.items() if v],
    "entries": report.info["entries"], "ballots": report.info["ballots"], "seconds": wall,
    "cpu_main": me.ru_utime + me.ru_stime, "cpu_workers": kids.ru_utime + kids.ru_stime,
    "rss_main_mb": me.ru_maxrss / 1024, "rss_worker_mb": kids.ru_maxrss / 1024,
}))
"""


def build(path: Path, ballots: int, heads: int, items: int, workers: int) -> float:
    from ledger import keys, synthetic

    t0 = time.perf_counter()
    signer = keys.generate("ownervote.example/log")
    with tempfile.NamedTemporaryFile(suffix=".jsonl", dir=path.parent) as spool:
        log = synthetic.build(
            signer, heads=heads, ballots=ballots, items=items, workers=workers, spool=spool
        )
        log.write_bundle(path)
    return time.perf_counter() - t0


def verify(path: Path, workers: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(workers)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def ecdsa_rate(seconds: float = 2.0) -> float:
    """Raw ECDSA P-256 verifications per second on one core, right now (for comparison)."""
    import hashlib

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

    key = ec.generate_private_key(ec.SECP256R1())
    digest = hashlib.sha256(b"calibration").digest()
    algorithm = ec.ECDSA(Prehashed(hashes.SHA256()))
    sig = key.sign(digest, algorithm)
    public = key.public_key()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for _ in range(200):
            public.verify(sig, digest, algorithm)
        n += 200
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ballots", type=int, default=1_000_000)
    ap.add_argument("--heads", type=int, default=20_000)
    ap.add_argument("--items", type=int, default=3)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument(
        "--bundle", type=Path, default=None, help="Keep the bundle here (reused if it exists)."
    )
    ap.add_argument(
        "--compare",
        action="store_true",
        help="Also verify a bundle with a tenth of the ballots (memory growth).",
    )
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    tmp = Path(tempfile.mkdtemp(prefix="ownervote-bench-"))
    path = args.bundle or tmp / "bench.zip"
    built = 0.0
    if not path.exists():
        print(f"building {args.ballots:,} ballots by {args.heads:,} heads ...", flush=True)
        built = build(path, args.ballots, args.heads, args.items, cores)
        print(f"built in {built:.1f} s: {path.stat().st_size / 1e6:.0f} MB", flush=True)
    raw = ecdsa_rate()
    r = verify(path, args.workers)
    if not r["valid"]:
        raise SystemExit(f"the benchmark bundle does not verify: {r['failed']}")
    rate = r["ballots"] / r["seconds"]
    cpu = (r["cpu_main"] + r["cpu_workers"]) / r["seconds"]
    result = {
        "ballots": r["ballots"],
        "entries": r["entries"],
        "heads": args.heads,
        "workers": args.workers,
        "cores": cores,
        "seconds": round(r["seconds"], 2),
        "ballots_per_s": round(rate),
        "ballots_per_s_per_core": round(rate / cores),
        "cores_busy": round(cpu, 2),
        "cpu_us_per_ballot": round((r["cpu_main"] + r["cpu_workers"]) / r["ballots"] * 1e6),
        "cpu_seconds": {"main": round(r["cpu_main"], 1), "workers": round(r["cpu_workers"], 1)},
        "ecdsa_verify_per_s_one_core": round(raw),
        "ballots_per_busy_core_s": round(rate / cpu),
        "peak_rss_mb": {
            "main": round(r["rss_main_mb"]),
            "largest_worker": round(r["rss_worker_mb"]),
        },
        "build_seconds": round(built, 1),
    }
    print(
        f"verified {r['ballots']:,} ballots in {r['seconds']:.1f} s: {rate:,.0f} ballots/s "
        f"({rate / cores:,.0f} per core, {cpu:.2f} cores busy); peak memory main "
        f"{r['rss_main_mb']:.0f} MB, largest worker {r['rss_worker_mb']:.0f} MB"
    )
    print(
        f"raw ECDSA P-256 verification here, one core, just before: {raw:,.0f}/s; "
        f"the verifier does {rate / cpu:,.0f} ballots per busy core-second"
    )
    if args.compare:
        small = tmp / "small.zip"
        build(small, args.ballots // 10, args.heads, args.items, cores)
        s = verify(small, args.workers)
        result["peak_rss_mb_tenth"] = {
            "main": round(s["rss_main_mb"]),
            "largest_worker": round(s["rss_worker_mb"]),
        }
        print(
            f"a tenth of the ballots ({s['ballots']:,}): peak memory main "
            f"{s['rss_main_mb']:.0f} MB, largest worker {s['rss_worker_mb']:.0f} MB"
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
