"""The trustees' ceremony for the tests (:mod:`ledger.secret.simulated`, with the tests'
default origin), and the terms of totals to decrypt (exponential ElGamal written out with
the group's operations: A = r·G, B = r·Hk + m·G, docs/secret-ballots.md §4)."""

from __future__ import annotations

from typing import Any

from ledger.secret import simulated
from ledger.secret import trustee_docs as td
from ledger.secret.group import Point, base, mul, random_scalar
from ledger.secret.simulated import Ceremony, Trustee, World

__all__ = ["ORIGIN", "Ceremony", "Trustee", "World", "announce", "dealing", "encrypt",
           "expected", "full_ceremony", "totals_file"]

ORIGIN = "ownervote.example/test-garden/assembly/3"


def announce(n: int, k: int, origin: str = ORIGIN) -> World:
    return simulated.announce(n, k, origin)


def dealing(world: World, i: int, origin: str = ORIGIN,
            corrupt_for: int | None = None) -> td.Dealing:
    return simulated.dealing(world, i, origin, corrupt_for)


def full_ceremony(origin: str = ORIGIN, n: int = 2, k: int | None = None) -> Ceremony:
    return simulated.full_ceremony(origin, n, k)


def encrypt(key: Point, m: int) -> dict[str, str]:
    r = random_scalar()
    return {"a": base(r).hex(), "b": (mul(r, key) + base(m)).hex()}


def totals_file(origin: str, key: Point,
                ballots: list[tuple[int, int, list[int]]]) -> dict[str, Any]:
    """One motion ``"1"``: ballots ``(entry, area weight, [0/1 per option])``."""
    options = len(ballots[0][2])
    cts = {(e, o): encrypt(key, choice[o]) for e, _w, choice in ballots for o in range(options)}
    totals = []
    for o in range(options):
        for kind in ("area", "heads"):
            totals.append({"item": "1", "option": o, "kind": kind, "terms": [
                {"entry": e, "weight": w if kind == "area" else 1, **cts[(e, o)]}
                for e, w, _c in ballots]})
    return {"origin": origin, "key": key.hex(), "totals": totals}


def expected(ballots: list[tuple[int, int, list[int]]]) -> list[int]:
    options = len(ballots[0][2])
    out = []
    for o in range(options):
        out.append(sum(w * c[o] for _e, w, c in ballots))
        out.append(sum(c[o] for _e, _w, c in ballots))
    return out
