"""Benchmark: tally a synthetic 100,000-unit community in-process.

    .venv/bin/python bench/tally.py [--units 100000] [--ballots 100000] [--seed 1]

    .venv/bin/python bench/tally.py --cli-units 20000   # also time ``ownervote tally``

The community has 500 buildings; ~4 % of owners hold two units, 2 % of units
are developer-held, 3 % are parking spaces (not counted by default).  Five
items: three ordinary motions (one limited to 50 buildings), one special
motion and one committee election (5 candidates, 3 seats).  Ballot events
cover all five items; about 5 % are revotes by a head that already voted.

Timed stages (wall clock, best of ``--repeat``): building the roster, replaying
the ballot events through the casting rules (:func:`voting.effective_votes`)
and the tally itself.  Peak memory of the tally is measured in a separate
run under tracemalloc (which slows Python down, so it is not timed).  The
last line is JSON; the target is ``tally_seconds < 1``.

With ``--cli-units N`` (default 20,000; 0 skips it) a tally file of N units,
with every counted unit voting on each item with probability 0.8, is written
to a temporary directory and ``ownervote tally FILE`` is timed as a new
process, start-up included (target: a few seconds).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from voting import (
    Approval,
    AssemblySettings,
    BallotEvent,
    Channel,
    Choice,
    Item,
    Unit,
    Usage,
    build_roster,
    effective_votes,
    tally,
)
from voting.tallyfile import item_to_json, unit_to_json

BUILDINGS = 500
CANDIDATES = ("c1", "c2", "c3", "c4", "c5")


def make_units(count: int, rng: random.Random) -> list[Unit]:
    units = []
    owner = 0
    pending_second: str | None = None
    for index in range(count):
        building = str(index % BUILDINGS + 1)
        unit_id = f"{building}-{index // BUILDINGS + 1:04d}"
        area = Decimal(rng.randrange(3000, 20000)).scaleb(-2)
        roll = rng.random()
        if roll < 0.02:
            units.append(Unit(unit_id, frozenset(), area, building=building, developer_held=True))
            continue
        usage = Usage.PARKING if roll < 0.05 else Usage.RESIDENTIAL
        if pending_second is not None:
            owners = frozenset({pending_second})
            pending_second = None
        else:
            owner += 1
            owners = frozenset({f"o{owner}"})
            if rng.random() < 0.04:
                pending_second = f"o{owner}"
        units.append(Unit(unit_id, owners, area, building=building, usage=usage))
    return units


def make_items() -> list[Item]:
    return [
        Item.motion("rules", 1),
        Item.motion("manager", 4),
        Item.motion("lifts", 5, buildings=[str(b) for b in range(1, 51)]),
        Item.motion("rebuild", 7),
        Item.election("committee", CANDIDATES, 3),
    ]


def make_events(heads: list[str], lift_heads: set[str], count: int, rng: random.Random):
    choices = (Choice.AGREE, Choice.AGREE, Choice.OPPOSE, Choice.ABSTAIN)
    events = []
    for seq in range(count):
        if seq < len(heads) and rng.random() > 0.05:
            head = heads[seq]
        else:
            head = heads[rng.randrange(min(seq + 1, len(heads)))]
        ballot = {
            "rules": rng.choice(choices),
            "manager": rng.choice(choices),
            "rebuild": rng.choice(choices),
            "committee": Approval(frozenset(rng.sample(CANDIDATES, rng.randrange(4)))),
        }
        if head in lift_heads:
            ballot["lifts"] = rng.choice(choices)
        events.append(BallotEvent(seq, head, Channel.ELECTRONIC, ballot))
    return events


def write_tally_file(path: Path, count: int, rng: random.Random) -> int:
    """Write a tally file of ``count`` units; return the number of ballots in it."""
    units = make_units(count, rng)
    items = make_items()
    lifts = items[2].buildings or frozenset()
    ballots = []
    for unit in units:
        if unit.usage is Usage.PARKING:
            continue
        for item in items:
            if rng.random() >= 0.8 or (item.item_id == "lifts" and unit.building not in lifts):
                continue
            ballot: dict[str, object] = {"unit": unit.unit_id, "item": item.item_id}
            if item.is_election:
                ballot["approve"] = rng.sample(CANDIDATES, rng.randrange(4))
            else:
                ballot["choice"] = rng.choice(["agree", "agree", "oppose", "abstain"])
            ballots.append(ballot)
    data = {
        "units": [unit_to_json(unit) for unit in units],
        "items": [item_to_json(item) for item in items],
        "ballots": ballots,
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return len(ballots)


def time_cli(count: int, rng: random.Random) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "vote.json"
        ballots = write_tally_file(path, count, rng)
        command = [sys.executable, "-m", "ownervote.cli", "tally", str(path)]
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, check=False)
            best = min(best, time.perf_counter() - start)
            if done.returncode != 0:
                raise SystemExit(done.stderr.decode())
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare = time.perf_counter() - start
        return {
            "cli_units": count,
            "cli_ballots": ballots,
            "cli_file_mib": round(path.stat().st_size / 2**20, 1),
            "cli_seconds": round(best, 3),
            "python_startup_seconds": round(bare, 3),
        }


def best_of(repeat: int, function, *args):
    best = float("inf")
    value = None
    for _ in range(repeat):
        start = time.perf_counter()
        value = function(*args)
        best = min(best, time.perf_counter() - start)
    return best, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cli-units", type=int, default=20_000)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    settings = AssemblySettings()
    units = make_units(args.units, rng)
    items = make_items()
    indexed = {item.item_id: item for item in items}

    roster_s, roster = best_of(args.repeat, build_roster, units, settings)
    heads = list(roster.heads)
    rng.shuffle(heads)
    lift_heads = set(roster.scope(indexed["lifts"].buildings).area_of)
    events = make_events(heads, lift_heads, args.ballots, rng)

    def replay_votes():
        return effective_votes(events, settings, items=indexed, roster=roster)

    replay_s, votes = best_of(args.repeat, replay_votes)
    tally_s, result = best_of(args.repeat, tally, roster, items, votes, settings)

    tracemalloc.start()
    tally(roster, items, votes, settings)
    _current, tally_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    for item in result.items:
        print(
            f"{item.item.item_id:10} quorum={item.quorum_met!s:5} passed={item.passed!s:5} "
            f"participating={item.participating.heads} heads / {item.participating.area} m2"
        )
    print(
        f"units {args.units}, heads {len(roster.heads)}, ballots {len(events)}, votes {len(votes)}"
    )
    print(f"build_roster     {roster_s:.3f} s")
    print(f"effective_votes  {replay_s:.3f} s")
    print(f"tally            {tally_s:.3f} s   (target < 1 s)")
    print(
        f"tally peak traced memory {tally_peak / 2**20:.1f} MiB; process peak RSS "
        f"{peak_rss_kib / 1024:.0f} MiB"
    )
    cli = time_cli(args.cli_units, random.Random(args.seed)) if args.cli_units else {}
    if cli:
        print(
            f"ownervote tally on a {cli['cli_units']}-unit file ({cli['cli_ballots']} ballots, "
            f"{cli['cli_file_mib']} MiB): {cli['cli_seconds']:.2f} s including start-up "
            f"(bare Python start-up {cli['python_startup_seconds']:.2f} s)"
        )
    print(
        json.dumps(
            {
                "units": args.units,
                "heads": len(roster.heads),
                "ballots": len(events),
                "votes": len(votes),
                "items": len(items),
                "roster_seconds": round(roster_s, 4),
                "replay_seconds": round(replay_s, 4),
                "tally_seconds": round(tally_s, 4),
                "tally_peak_mib": round(tally_peak / 2**20, 2),
                "peak_rss_mib": round(peak_rss_kib / 1024, 1),
                "target_met": tally_s < 1.0,
                **cli,
            }
        )
    )


if __name__ == "__main__":
    main()
