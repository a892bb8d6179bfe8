"""Benchmark the secret-ballot core (ledger.secret) on one core, with its own baseline.

    .venv/bin/python bench/secret.py              # about a minute
    .venv/bin/python bench/secret.py --quick      # a few seconds per figure less

Figures, each the best of ``--rounds`` timed runs (CPU time of this process, so time the
scheduler gives to other processes is not counted; wall time beside it):

* the group's own operations (libsecp256k1 through ledger.secret.fastops): variable-base
  scalar multiplication, base multiplication, point addition and point validation (µs);
  and, measured in the same run as the yardstick, libsodium's edwards25519 operations
  through PyNaCl (the ``bench`` extra installs it; skipped without it) — the issue
  measured 75 / 16 / 15 / 36 µs for those on this machine when it was quiet;
* ``verify_ballots_per_s_per_core`` for the issue's 2-item ballot (two motions) and for a
  typical ballot (five motions and one election of 7 candidates for 3 seats), and the same
  in units of variable-base scalar multiplications, which does not depend on how busy the
  machine is;
* encryptions per second (``Enc(m; r)`` alone) and whole items encrypted with their
  proofs (what a committee member's device does for a paper ballot);
* the two totals of one option (weighted by area, and by head) over 10,000 ballots;
* baby-step giant-step for a bound of 10^9 (about 10,000,000.00 m² in hundredths): the
  first call (building the ~31,600-entry table) and later calls (the table kept); and 27
  totals near 10^9 at once (``dlog_many``: a tally's 9 items × 3 options, by area).

* ``tally_seconds``: a whole secret-mode tally of 10,000 heads and 9 items (7 motions, 2
  elections of 7 candidates for 3 seats), decryption by 3 trustees of 5 included
  (bench/secret_tally.py; ``--tally-heads`` to change the size, 0 to skip);
* ``browser_encrypt_ms``: a 9-item ballot built in Chromium at 390×844
  (bench/secret_browser.py; about ten seconds more; ``--no-browser`` to skip);
* ``cast_ballots_per_s_sqlite`` and ``cast_ballots_per_s_postgres``: 2-item secret ballots
  (two motions, encrypted with their proofs in the set-up) cast through HTTP into a real
  ``ownervote serve`` by 32 concurrent clients (bench/cast.py ``--secret``: the same server,
  clients and checks as the open-mode cast benchmark; ``--cast-ballots``, 0 to skip), each
  beside its baselines of the same run: ``GET /healthz`` and, unless ``--no-open-baseline``,
  the open-mode cast rate of the same number of ballots on the same database
  (``cast_open_ballots_per_s_<db>``, and the ratio ``cast_secret_to_open_<db>``); the
  server's CPU per ballot says where the time goes on a shared machine.

The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ledger.secret import dlog as dlog_module  # noqa: E402
from ledger.secret import elgamal, fastops  # noqa: E402
from ledger.secret.ballot import ItemShape, encrypt_ballot, verify_ballot  # noqa: E402
from ledger.secret.group import G, base, random_scalar, scalar_bytes  # noqa: E402

ORIGIN = "ownervote.example/assembly/bench"
TWO = {"1": ItemShape("motion"), "2": ItemShape("motion")}
TYPICAL = {**{str(k): ItemShape("motion") for k in range(1, 6)},
           "6": ItemShape("election", candidates=7, seats=3)}


def per_call(fn: Callable[[], object], n: int, rounds: int) -> tuple[float, float]:
    """(CPU seconds, wall seconds) per call, the best of ``rounds`` runs of ``n`` calls."""
    best_cpu = best_wall = float("inf")
    for _ in range(rounds):
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(n):
            fn()
        best_cpu = min(best_cpu, (time.process_time() - c0) / n)
        best_wall = min(best_wall, (time.perf_counter() - w0) / n)
    return best_cpu, best_wall


def _libsodium_yardstick() -> dict[str, Callable[[], object]]:
    """libsodium's edwards25519 operations through PyNaCl, if installed: the group the
    secret ballot used before (docs/secret-ballots.md §1), measured beside libsecp256k1."""
    try:
        from nacl import bindings as sodium
    except ImportError:
        print("libsodium yardstick skipped: PyNaCl is not installed (the bench extra has it)")
        return {}
    q = sodium.crypto_scalarmult_ed25519_base_noclamp(scalar_bytes(random_scalar()))
    kb = (random_scalar() % 2**252).to_bytes(32, "little")
    return {
        "libsodium_scalarmult_us": lambda: sodium.crypto_scalarmult_ed25519_noclamp(kb, q),
        "libsodium_basemult_us": lambda: sodium.crypto_scalarmult_ed25519_base_noclamp(kb),
        "libsodium_add_us": lambda: sodium.crypto_core_ed25519_add(q, q),
        "libsodium_validate_us": lambda: sodium.crypto_core_ed25519_is_valid_point(q),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--tally-heads", type=int, default=10_000)
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--cast-ballots", type=int, default=3000)
    ap.add_argument("--cast-concurrency", type=int, default=32)
    ap.add_argument("--cast-db", choices=("sqlite", "postgres"), action="append", default=None,
                    help="the databases to cast into (default: both)")
    ap.add_argument("--no-open-baseline", action="store_true")
    args = ap.parse_args()
    k = 10 if args.quick else 1
    rounds = args.rounds
    out: dict[str, object] = {}

    p = base(random_scalar()).encoding
    kn = random_scalar()
    forget = fastops.forget_parsed  # each call parses its points, as for a new ballot
    micro: dict[str, Callable[[], object]] = {
        "scalarmult_us": lambda: (forget(), fastops.mul(kn, p)),
        "basemult_us": lambda: fastops.base(kn),
        "add_us": lambda: (forget(), fastops.add(p, G.encoding)),
        "validate_us": lambda: (forget(), fastops.is_valid(p)),
    }
    micro |= _libsodium_yardstick()
    for name, fn in micro.items():
        cpu, wall = per_call(fn, 2000 // k, rounds)
        out[name] = round(cpu * 1e6, 1)
        print(f"{name[:-3]:<28} {cpu * 1e6:8.1f} µs CPU  ({wall * 1e6:.1f} µs wall)")
    if "libsodium_scalarmult_us" in out:
        out["libsodium_to_secp256k1_scalarmult"] = round(
            float(out["libsodium_scalarmult_us"]) / float(out["scalarmult_us"]), 2)  # type: ignore[arg-type]
    smul = float(out["scalarmult_us"]) / 1e6  # type: ignore[arg-type]

    key = elgamal.keygen()
    for label, layout, choices in (
            ("2-item", TWO, {"1": "agree", "2": "abstain"}),
            ("typical", TYPICAL, {"1": "agree", "2": "oppose", "3": "abstain", "4": "agree",
                                  "5": "agree", "6": [0, 2, 5]})):
        ballot, _ = encrypt_ballot(key.public, ORIGIN, "head-1", 1, layout, choices)
        enc = ballot.to_json()
        cpu, wall = per_call(lambda layout=layout, enc=enc: verify_ballot(
            key.public, ORIGIN, "head-1", 1, layout, enc), max(2, 60 // k), rounds)
        out[f"verify_{label}_ms"] = round(cpu * 1e3, 2)
        out[f"verify_{label}_ballots_per_s_per_core"] = round(1 / cpu, 1)
        out[f"verify_{label}_in_scalarmults"] = round(cpu / smul, 1)
        print(f"verify {label:<8} ballot {cpu * 1e3:7.2f} ms CPU ({wall * 1e3:.2f} wall): "
              f"{1 / cpu:7.1f} ballots/s per core = {cpu / smul:.1f} scalar mults")
        cpu, wall = per_call(lambda layout=layout, choices=choices: encrypt_ballot(
            key.public, ORIGIN, "head-1", 1, layout, choices), max(2, 30 // k), rounds)
        out[f"encrypt_{label}_ballot_ms"] = round(cpu * 1e3, 2)
        print(f"encrypt {label:<7} ballot with proofs {cpu * 1e3:7.2f} ms CPU")
    out["verify_ballots_per_s_per_core"] = out["verify_2-item_ballots_per_s_per_core"]

    cpu, wall = per_call(lambda: elgamal.encrypt(key.public, 1, random_scalar()),
                         1000 // k, rounds)
    out["encryptions_per_s"] = round(1 / cpu, 1)
    print(f"encryptions             {1 / cpu:9.1f} per s ({cpu * 1e6:.0f} µs CPU each)")

    # one option's totals over 10,000 heads: by area (hundredths of m², 300 distinct areas
    # as in a community of a few building types) and by head
    cts = [elgamal.encrypt(key.public, i % 2, random_scalar()) for i in range(10_000)]
    areas = [5_000 + 37 * (i % 300) for i in range(10_000)]
    c0, w0 = time.process_time(), time.perf_counter()
    elgamal.weighted_total(zip(areas, cts, strict=True))
    elgamal.total(cts)
    cpu = time.process_time() - c0
    out["option_totals_10000_heads_s"] = round(cpu, 3)
    print(f"one option's totals (area and heads) over 10,000 ballots: {cpu:.3f} s CPU "
          f"({time.perf_counter() - w0:.3f} wall)")

    target = base(999_999_937)
    dlog_module.baby_steps.cache_clear()
    c0, w0 = time.process_time(), time.perf_counter()
    assert dlog_module.dlog(target, 10**9) == 999_999_937
    out["bsgs_1e9_first_s"] = round(time.process_time() - c0, 3)
    print(f"BSGS bound 1e9, first   {out['bsgs_1e9_first_s']:9.3f} s CPU "
          f"({time.perf_counter() - w0:.3f} wall; table built)")
    cpu, wall = per_call(lambda: dlog_module.dlog(target, 10**9), 1, max(1, rounds // 2))
    out["bsgs_1e9_s"] = round(cpu, 3)
    print(f"BSGS bound 1e9, kept    {cpu:9.3f} s CPU ({wall:.3f} wall; worst case: m near "
          "the bound)")
    points = [base(10**9 - 1_000 * i) for i in range(27)]
    dlog_module.baby_steps.cache_clear()
    c0, w0 = time.process_time(), time.perf_counter()
    dlog_module.dlog_many(points, 10**9)
    out["bsgs_27_totals_1e9_s"] = round(time.process_time() - c0, 3)
    print(f"BSGS 27 totals near 1e9 {out['bsgs_27_totals_1e9_s']:9.3f} s CPU "
          f"({time.perf_counter() - w0:.3f} wall; dlog_many, one table of 2^17 points)")
    if args.cast_ballots:
        out.update(casting(args.cast_ballots, args.cast_concurrency,
                           args.cast_db or ["sqlite", "postgres"], not args.no_open_baseline))
    if args.tally_heads:
        import secret_tally

        figures = secret_tally.measure(args.tally_heads)
        out.update(figures)
        print(f"secret tally of {args.tally_heads} heads, 9 items, 3 trustees of 5: "
              f"{figures['tally_seconds']} s CPU ({figures['tally_wall_seconds']} s wall; sums "
              f"{figures['tally_sums_s']} s, logarithms {figures['tally_dlog_s']} s)")
    if not args.no_browser:
        try:
            import secret_browser

            browser = secret_browser.measure()
        except Exception as exc:  # noqa: BLE001 - Chromium missing: say so, keep the rest
            print(f"browser_encrypt_ms not measured: {type(exc).__name__}: {exc}")
        else:
            out.update(browser)
            print(f"browser: 9-item ballot built in {browser['browser_encrypt_ms']} ms")
    print(json.dumps(out))


def casting(ballots: int, concurrency: int, databases: list[str], open_baseline: bool
            ) -> dict[str, object]:
    """Secret ballots cast through HTTP (bench/cast.py ``--secret``) on each database, and the
    open-mode cast rate beside each (the same server, clients and number of ballots)."""
    import cast as cast_bench

    out: dict[str, object] = {}
    for db in databases:
        common = ["--db", db, "--ballots", str(ballots), "--concurrency", str(concurrency),
                  "--no-bundle"]
        runs = [("secret", [*common, "--secret"])]
        if open_baseline:
            runs.append(("open", common))
        got: dict[str, dict] = {}
        for mode, argv in runs:
            r = got[mode] = cast_bench.main(argv)
            ok = r["errors"] == 0 and r["missing"] == 0 and r["chain_ok"]
            if not ok:
                print(f"cast {mode} on {db}: NOT CLEAN: {r['errors']} errors "
                      f"{r['error_kinds']}, {r['missing']} missing, problems {r['problems']}")
        sec = got["secret"]
        out[f"cast_ballots_per_s_{db}"] = sec["ballots_per_s"]
        out[f"cast_p50_ms_{db}"] = sec["p50_ms"]
        out[f"cast_p99_ms_{db}"] = sec["p99_ms"]
        out[f"cast_server_cpu_per_ballot_ms_{db}"] = sec["server_cpu_per_ballot_ms"]
        out[f"cast_healthz_rps_{db}"] = sec["baseline_rps"]
        out[f"cast_clean_{db}"] = (sec["errors"] == 0 and sec["missing"] == 0
                                   and sec["chain_ok"] and sec["acknowledged"] == ballots)
        line = (f"secret cast on {db}: {sec['ballots_per_s']:,.0f} ballots/s ({concurrency} "
                f"clients, {sec['workers']} {sec['worker_class']} workers), server CPU "
                f"{sec['server_cpu_per_ballot_ms']} ms a ballot; /healthz "
                f"{sec['baseline_rps']:,.0f} req/s")
        if "open" in got:
            op = got["open"]
            out[f"cast_open_ballots_per_s_{db}"] = op["ballots_per_s"]
            out[f"cast_open_server_cpu_per_ballot_ms_{db}"] = op["server_cpu_per_ballot_ms"]
            out[f"cast_secret_to_open_{db}"] = round(
                sec["ballots_per_s"] / max(op["ballots_per_s"], 1e-9), 3)
            line += (f"; open mode {op['ballots_per_s']:,.0f} ballots/s (secret/open "
                     f"{out[f'cast_secret_to_open_{db}']}), server CPU "
                     f"{op['server_cpu_per_ballot_ms']} ms a ballot")
        print(line, flush=True)
    return out


if __name__ == "__main__":
    main()
