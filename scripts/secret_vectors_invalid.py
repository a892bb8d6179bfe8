"""The invalid secret ballots of tests/data/secret/invalid_ballots.json (scripts/secret_vectors.py).

Each case starts from one valid ballot (or builds a cheating one with a prover that lies)
and changes one thing; the vector records the refusal :func:`verify_ballot` gives.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from ledger.secret.ballot import (
    EncryptedItem,
    EncryptedOption,
    ItemShape,
    encrypt_ballot,
    item_sum,
)
from ledger.secret.context import option_context, sum_context
from ledger.secret.disjunctive import prove_range
from ledger.secret.elgamal import Ciphertext, KeyPair
from ledger.secret.group import IDENTITY, L, base, mul
from ledger.secret.randomness import SeededScalars

HEAD, SEQ = "head-9", 4
CHOICES: dict[str, str | list[int]] = {"1": "agree", "2": "oppose", "3": [0, 3], "4": [1]}
FIELD_P = 2**256 - 2**32 - 977  # secp256k1's field prime
#: x = 5: 5³ + 7 is not a square mod p, so no point of the curve has this x
OFF_CURVE = "02" + (5).to_bytes(32, "big").hex()
#: x = p + 1 ≡ 1 (mod p): the point with x = 1 (on the curve), encoded with x ≥ p
NON_CANONICAL = "02" + (FIELD_P + 1).to_bytes(32, "big").hex()


def lying_item(kp: KeyPair, origin: str, key: str, shape: ItemShape, plaintexts: Sequence[int],
               seed: str) -> dict[str, Any]:
    """An item whose options encrypt ``plaintexts`` (any integers), each "proved" as if it
    were 0/1 and the sum as if in range: a cheating phone's best effort."""
    src = SeededScalars(seed)
    options, rs = [], []
    for i, m in enumerate(plaintexts):
        r = src()
        ct = Ciphertext(base(r), mul(r, kp.public) + base(m % L))
        claim = m if m in (0, 1) else 1
        proof = prove_range(kp.public, ct, 0, 1, claim, r,
                            option_context(origin, HEAD, key, SEQ, i), src)
        options.append(EncryptedOption(ct, proof))
        rs.append(r)
    lo, hi = shape.sum_range
    total = sum(shape.weight(i) * m for i, m in enumerate(plaintexts))
    r_sum = sum(shape.weight(i) * r for i, r in enumerate(rs)) % L
    sum_ct = item_sum(shape, [o.ct for o in options])
    sum_proof = prove_range(kp.public, sum_ct, lo, hi, min(max(total, lo), hi), r_sum,
                            sum_context(origin, HEAD, key, SEQ), src)
    return EncryptedItem(tuple(options), sum_proof).to_json()


def invalid_cases(kp: KeyPair, origin: str, layout: dict[str, ItemShape]) -> list[dict[str, Any]]:
    ballot, _ = encrypt_ballot(kp.public, origin, HEAD, SEQ, layout, CHOICES,
                               SeededScalars("invalid/base"))
    valid = ballot.to_json()
    other, _ = encrypt_ballot(kp.public, origin, "head-10", SEQ, layout, CHOICES,
                              SeededScalars("invalid/other"))
    cases: list[dict[str, Any]] = []

    def case(name: str, encrypted: Any, *, head: str = HEAD, seq: int = SEQ,
             at_origin: str = origin) -> None:
        cases.append({"name": name, "origin": at_origin, "head": head, "seq": seq,
                      "encrypted": encrypted})

    def changed(path: Sequence[Any], value: Any) -> Any:
        enc = copy.deepcopy(valid)
        node: Any = enc
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value
        return enc

    def swapped(path_a: Sequence[Any], path_b: Sequence[Any]) -> Any:
        enc = copy.deepcopy(valid)
        def get(p: Sequence[Any]) -> Any:
            node: Any = enc
            for step in p:
                node = node[step]
            return node
        va, vb = get(path_a), get(path_b)
        get(path_a[:-1])[path_a[-1]], get(path_b[:-1])[path_b[-1]] = vb, va
        return enc

    opt: list[Any] = ["1", "options", 0]
    case("proofs moved to another head", valid, head="head-10")
    case("proofs moved to another seq", valid, seq=SEQ + 1)
    case("proofs moved to another assembly (origin)", valid, at_origin=origin + "x")
    case("an item moved to another item key", {**valid, "2": valid["1"], "1": valid["2"]})
    case("two options swapped within an item", swapped(["1", "options", 0],
                                                       ["1", "options", 1]))
    case("an option copied from another head's ballot", changed(opt, other.to_json()["1"][
        "options"][0]))
    case("A and B of an option swapped", swapped([*opt, "a"], [*opt, "b"]))
    case("motion: two options at once (agree and oppose)",
         {**valid, "1": lying_item(kp, origin, "1", layout["1"], [1, 1, 0], "lie/1")})
    case("motion: one option encrypts 2",
         {**valid, "1": lying_item(kp, origin, "1", layout["1"], [2, 0, 0], "lie/2")})
    case("motion: agree 1, oppose 1, abstain -1 (sum is 1)",
         {**valid, "1": lying_item(kp, origin, "1", layout["1"], [1, 1, -1], "lie/3")})
    case("motion: no option at all",
         {**valid, "1": lying_item(kp, origin, "1", layout["1"], [0, 0, 0], "lie/4")})
    case("election: three candidates for two seats",
         {**valid, "3": lying_item(kp, origin, "3", layout["3"], [1, 1, 1, 0, 0], "lie/5")})
    case("election: blank and a candidate",
         {**valid, "3": lying_item(kp, origin, "3", layout["3"], [1, 0, 0, 0, 1], "lie/6")})
    case("election: nothing, not even blank",
         {**valid, "3": lying_item(kp, origin, "3", layout["3"], [0, 0, 0, 0, 0], "lie/7")})
    case("paper election: invalid and a candidate",
         {**valid, "4": lying_item(kp, origin, "4", layout["4"], [1, 0, 0, 0, 1], "lie/8")})
    case("the identity as A", changed([*opt, "a"], IDENTITY.hex()))
    case("an x with no point on the curve as B", changed([*opt, "b"], OFF_CURVE))
    case("a non-canonical encoding (x = p + 1)", changed([*opt, "a"], NON_CANONICAL))
    case("an uncompressed point's prefix (04) on 33 bytes",
         changed([*opt, "b"], "04" + valid["1"]["options"][0]["b"][2:]))
    case("upper-case hex", changed([*opt, "a"], valid["1"]["options"][0]["a"].upper()))
    case("a proof scalar not reduced below L", changed([*opt, "proof", "z", 1],
                                                      L.to_bytes(32, "little").hex()))
    z0 = int.from_bytes(bytes.fromhex(valid["1"]["options"][0]["proof"]["z"][0]), "little")
    case("one z of an option's proof changed",
         changed([*opt, "proof", "z", 0], ((z0 + 1) % L).to_bytes(32, "little").hex()))
    c0 = int.from_bytes(bytes.fromhex(valid["3"]["sum"]["c"][0]), "little")
    case("one c of an election's sum proof changed",
         changed(["3", "sum", "c", 0], ((c0 + 1) % L).to_bytes(32, "little").hex()))
    case("the sum proof of another item", changed(["2", "sum"], valid["1"]["sum"]))
    case("an option's proof with three branches",
         changed([*opt, "proof", "c"], [*valid["1"]["options"][0]["proof"]["c"], "00" * 32]))
    case("an option missing", changed(["1", "options"], valid["1"]["options"][:2]))
    case("an item the assembly does not have", {**valid, "5": valid["1"]})
    case("an extra member in an option", changed([*opt, "extra"], 1))
    case("no item at all", {})
    return cases
