"""Benchmark a secret-mode tally (``tally_seconds``): 10,000 heads, 9 items, decryption
by 3 trustees of 5 included.

    .venv/bin/python bench/secret_tally.py              # about a minute (setup included)
    .venv/bin/python bench/secret_tally.py --motions 9  # nine motions instead

The community: 10,000 single-unit heads in 20 buildings with 300 distinct areas (a few
building types), every head voting on every item (the worst case for the sums and the
logarithms).  The items: 7 motions and 2 elections of 7 candidates for 3 seats (the
browser bench's 9-item ballot; ``--motions 9`` for nine motions).  Ballots' ciphertexts
come from a pool of encrypted ballots (encryption is the phones' work, not the tally's);
the sums, shares, checks and logarithms do not depend on that.

Timed, in one process (CPU and wall): the homomorphic sums of every option by area and by
head (``ledger.secret.tally.totals_from_counted_ballots``), three trustees' decryption
shares with their proofs (``parts.make_shares``, done on the trustees' computers in
reality), the check of every share's proof and the combination (``parts.combine``), the
logarithms (``dlog_many``) and the decision (``voting.tally.decide``).  The result is
compared with the open tally of the same votes.  The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ledger import canonical  # noqa: E402
from ledger.secret import elgamal  # noqa: E402
from ledger.secret import tally as secret  # noqa: E402
from ledger.secret import trustee_docs as td  # noqa: E402
from ledger.secret.ballot import ItemShape  # noqa: E402
from ledger.secret.dkg import random_polynomial  # noqa: E402
from ledger.secret.elgamal import Ciphertext  # noqa: E402
from ledger.secret.group import base  # noqa: E402
from ledger.secret.parts import combine, make_shares, totals_digest  # noqa: E402
from voting.ballots import Approval, Choice, Vote  # noqa: E402
from voting.heads import Unit, build_roster  # noqa: E402
from voting.items import Item  # noqa: E402
from voting.sales import scopes_with_sales  # noqa: E402
from voting.settings import DEFAULT_SETTINGS  # noqa: E402
from voting.tally import decide, tally  # noqa: E402

ORIGIN = "ownervote.example/assembly/bench-tally"
POOL = 48  # encrypted ballots per item, reused across heads


def _items(motions: int) -> list[Item]:
    items = [Item.motion(str(i + 1), 1 if i % 3 else 7) for i in range(motions)]
    for j in range(9 - motions):
        items.append(Item.election(str(motions + j + 1), [f"c{c}" for c in range(7)], 3))
    return items


def _vote(item: Item, rng: random.Random) -> Vote:
    if item.is_election:
        if rng.random() < 0.1:
            return Choice.ABSTAIN
        return Approval(frozenset(rng.sample(item.candidates, rng.randint(1, item.seats))))
    return rng.choice([Choice.AGREE, Choice.AGREE, Choice.OPPOSE, Choice.ABSTAIN])


def _vector(item: Item, vote: Vote) -> tuple[int, ...]:
    if item.is_election:
        shape = ItemShape("election", len(item.candidates), item.seats)
        if isinstance(vote, Approval):
            return shape.vector(sorted(item.candidates.index(c) for c in vote.candidates))
        return shape.vector("abstain")
    assert isinstance(vote, Choice)
    return ItemShape("motion").vector(vote.value)


def measure(heads: int = 10_000, motions: int = 7, n: int = 5, k: int = 3,
            seed: int = 7) -> dict[str, Any]:
    """``tally_seconds`` (CPU) and its parts; raises if the result differs from open mode."""
    rng = random.Random(seed)
    units = [Unit.from_areas(f"{i // 500 + 1}-{i:05d}", [f"o{i}"],
                             registered=Decimal(5_000 + 37 * (i % 300)).scaleb(-2),
                             building=str(i // 500 + 1)) for i in range(heads)]
    roster = build_roster(units, DEFAULT_SETTINGS)
    items = _items(motions)
    poly = random_polynomial(k)
    key = base(poly(0))
    pools: dict[str, list[tuple[Vote, tuple[Ciphertext, ...]]]] = {}
    for item in items:
        pools[item.item_id] = []
        for _ in range(POOL):
            vote = _vote(item, rng)
            cts = tuple(elgamal.encrypt_random(key, m)[0] for m in _vector(item, vote))
            pools[item.item_id].append((vote, cts))
    votes: dict[tuple[str, str], Vote] = {}
    ballots: dict[str, list[secret.CountedBallot]] = {i.item_id: [] for i in items}
    for entry, head in enumerate(sorted(roster.heads)):
        for item in items:
            vote, cts = pools[item.item_id][rng.randrange(POOL)]
            votes[(head, item.item_id)] = vote
            ballots[item.item_id].append(secret.CountedBallot(head, entry + 1, cts))
    community, scopes = scopes_with_sales(roster, items)
    verification = {i: base(poly(i)) for i in range(1, n + 1)}

    out: dict[str, Any] = {}
    c0, w0 = time.process_time(), time.perf_counter()
    encrypted = secret.totals_from_counted_ballots(ORIGIN, key, items, community, scopes,
                                                   ballots)
    c1 = time.process_time()
    totals = encrypted.totals
    digest = totals_digest(ORIGIN, key, totals)
    decryptions = {i: td.Decryption(ORIGIN, i, digest, make_shares(ORIGIN, i, poly(i), totals))
                   for i in (1, 3, 5)}
    c2 = time.process_time()
    report = combine(ORIGIN, key, k, totals, decryptions, verification)
    c3 = time.process_time()
    plain = secret.decrypt(encrypted, report)
    c4 = time.process_time()
    result = decide(secret.counts(items, encrypted, plain), DEFAULT_SETTINGS)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    opened = tally(roster, items, votes, DEFAULT_SETTINGS)
    if canonical.encode(result.to_json()) != canonical.encode(opened.to_json()):
        raise AssertionError("the secret tally differs from the open tally")
    out.update({"tally_seconds": round(cpu, 2), "tally_wall_seconds": round(wall, 2),
                "tally_sums_s": round(c1 - c0, 2), "tally_shares_3_trustees_s": round(c2 - c1, 2),
                "tally_combine_s": round(c3 - c2, 2), "tally_dlog_s": round(c4 - c3, 2),
                "tally_totals": len(totals), "tally_heads": heads,
                "tally_items": f"{motions} motions, {9 - motions} elections "
                               "(7 candidates, 3 seats)"})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--heads", type=int, default=10_000)
    ap.add_argument("--motions", type=int, default=7, choices=range(10))
    args = ap.parse_args()
    out = measure(args.heads, args.motions)
    print(f"secret tally of {out['tally_heads']} heads, {out['tally_items']}: "
          f"{out['tally_seconds']} s CPU ({out['tally_wall_seconds']} s wall) — sums "
          f"{out['tally_sums_s']} s, 3 trustees' shares {out['tally_shares_3_trustees_s']} s, "
          f"checks and combination {out['tally_combine_s']} s, logarithms "
          f"{out['tally_dlog_s']} s; {out['tally_totals']} totals")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
