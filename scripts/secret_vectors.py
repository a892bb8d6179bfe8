"""Write the secret-ballot test vectors (tests/data/secret/*.json) deterministically.

    .venv/bin/python scripts/secret_vectors.py            # (re)write the files
    .venv/bin/python scripts/secret_vectors.py --check    # exit 1 if they differ

Every random scalar comes from :class:`ledger.secret.randomness.SeededScalars` with the
label written in the vector (``seed``), so another implementation can reproduce every
byte: the draws happen in the order tests/data/secret/README.md describes.
tests/unit/test_secret_vectors.py checks the vectors and regenerates them in memory.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ledger.secret import elgamal  # noqa: E402
from ledger.secret.audit import audit_challenge, fingerprint, reveal_to_json  # noqa: E402
from ledger.secret.ballot import ItemShape, encrypt_ballot  # noqa: E402
from ledger.secret.disjunctive import prove_range  # noqa: E402
from ledger.secret.dlog import dlog  # noqa: E402
from ledger.secret.errors import AuditMismatch, BallotRefused  # noqa: E402
from ledger.secret.group import L, base, scalar_hex  # noqa: E402
from ledger.secret.randomness import SeededScalars  # noqa: E402

OUT = ROOT / "tests" / "data" / "secret"
ORIGIN = "ownervote.example/assembly/42"
sys.path.insert(0, str(ROOT / "scripts"))
from secret_vectors_invalid import invalid_cases  # noqa: E402


class Recording:
    """A seeded source that also records its draws (for the per-proof vectors)."""

    def __init__(self, seed: str) -> None:
        self.source = SeededScalars(seed)
        self.draws: list[int] = []

    def __call__(self) -> int:
        k = self.source()
        self.draws.append(k)
        return k


def layout_json(layout: dict[str, ItemShape]) -> dict[str, Any]:
    return {key: ({"kind": "motion"} if s.kind == "motion" else
                  {"kind": "election", "candidates": s.candidates, "seats": s.seats,
                   "paper": s.paper}) for key, s in layout.items()}


def key_vector(seed: str) -> tuple[elgamal.KeyPair, dict[str, Any]]:
    kp = elgamal.keygen(SeededScalars(seed))
    return kp, {"seed": seed, "x": scalar_hex(kp.secret), "hk": kp.public.hex()}


def elgamal_vectors() -> dict[str, Any]:
    kp, key = key_vector("elgamal/key")
    src = SeededScalars("elgamal/r")
    encryptions, cts = [], []
    for m in (0, 1, 2, 7, 12_345, 1_000_000_000):
        r = src()
        ct = elgamal.encrypt(kp.public, m, r)
        cts.append((m, ct))
        encryptions.append({"m": m, "r": scalar_hex(r), **ct.to_json()})
    total = elgamal.total(ct for _, ct in cts[:4])
    weights = [12_345, 0, 1, 99_999_99]
    weighted = elgamal.weighted_total(zip(weights, [ct for _, ct in cts[:4]], strict=True))
    m_weighted = sum(w * m for w, (m, _) in zip(weights, cts[:4], strict=True))
    decryptions = []
    for m, ct in [*cts, (10, total), (m_weighted, weighted)]:
        point = elgamal.decrypt_to_point(kp.secret, ct)
        decryptions.append({"ciphertext": ct.to_json(), "m_point": point.hex(), "m": m,
                            "bound": max(m, 1_000)})
        assert dlog(point, max(m, 1_000)) == m
    return {
        "comment": "docs/secret-ballots.md §4: Enc(m; r) = (r·G, r·Hk + m·G); sums; decryption",
        "key": key,
        "encryptions": encryptions,
        "sum": {"of": [0, 1, 2, 3], "m": 10, **total.to_json()},
        "weighted_sum": {"of": [0, 1, 2, 3], "weights": weights, "m": m_weighted,
                         **weighted.to_json()},
        "decryptions": decryptions,
    }


def dlog_vectors() -> dict[str, Any]:
    cases = [{"point": (base(m) if m else elgamal.plaintext_point(0)).hex(), "bound": bound,
              "m": m} for m, bound in ((0, 0), (0, 10), (1, 1), (5, 10), (99, 99),
                                       (1_000_000, 2_000_000), (123_456_789, 10**9),
                                       (10**9, 10**9))]
    missing = [{"point": base(m).hex(), "bound": bound, "m": None}
               for m, bound in ((11, 10), (10**6 + 1, 10**6), (L - 1, 10**6))]
    return {"comment": "docs/secret-ballots.md §4: m with m·G = point in [0, bound]; "
                       "m null: none (the tally fails)", "cases": cases + missing}


def range_vectors() -> dict[str, Any]:
    kp, key = key_vector("range/key")
    out = []
    for n, (lo, hi, value, ctx_strings) in enumerate((
            (0, 1, 0, [ORIGIN, "head-7", "3", "2", "option", "0"]),
            (0, 1, 1, [ORIGIN, "head-7", "3", "2", "option", "1"]),
            (1, 1, 1, [ORIGIN, "head-7", "3", "2", "sum"]),
            (1, 3, 2, [ORIGIN, "head-7", "4", "1", "sum"]),
            (1, 3, 3, [ORIGIN, "head-7", "4", "1", "sum"]),
            (0, 5, 4, ["any", "context"]))):
        seed = f"range/{n}"
        src = Recording(seed)
        r = src()
        ct = elgamal.encrypt(kp.public, value, r)
        ctx = tuple(s.encode("utf-8") for s in ctx_strings)
        proof = prove_range(kp.public, ct, lo, hi, value, r, ctx, src)
        out.append({"seed": seed, "lo": lo, "hi": hi, "value": value, "r": scalar_hex(r),
                    "draws": [scalar_hex(d) for d in src.draws[1:]], "ctx": ctx_strings,
                    "ciphertext": ct.to_json(), "proof": proof.to_json()})
    return {"comment": "docs/secret-ballots.md §5.1; draws: the prover's scalars in order "
                       "(per v from lo to hi: w for the true v, else c_v then z_v)",
            "key": key, "proofs": out}


LAYOUTS: dict[str, dict[str, ItemShape]] = {
    "motions": {str(k): ItemShape("motion") for k in range(1, 6)},
    "election": {"1": ItemShape("election", candidates=7, seats=3)},
    "mixed": {"1": ItemShape("motion"), "2": ItemShape("motion"),
              "3": ItemShape("election", candidates=4, seats=2),
              "4": ItemShape("election", candidates=3, seats=1, paper=True)},
}
BALLOTS: list[tuple[str, str, str, int, dict[str, Any]]] = [
    ("five motions", "motions", "head-1", 1,
     {"1": "agree", "2": "oppose", "3": "abstain", "4": "agree", "5": "agree"}),
    ("some motions only", "motions", "head-2", 3, {"2": "oppose", "5": "abstain"}),
    ("election: three of seven", "election", "head-3", 1, {"1": [0, 3, 6]}),
    ("election: one of seven", "election", "head-3", 2, {"1": [5]}),
    ("election: blank", "election", "head-4", 1, {"1": []}),
    ("mixed, paper invalid", "mixed", "paper:12-3-401", 1,
     {"1": "agree", "2": "abstain", "3": [1, 2], "4": "invalid"}),
    ("mixed, blank and one", "mixed", "head-5", 7,
     {"1": "oppose", "2": "agree", "3": [], "4": [2]}),
]


def ballot_vectors() -> dict[str, Any]:
    kp, key = key_vector("ballots/key")
    out = []
    for n, (name, layout_name, head, seq, choices) in enumerate(BALLOTS):
        layout = LAYOUTS[layout_name]
        seed = f"ballots/{n}"
        ballot, rand = encrypt_ballot(kp.public, ORIGIN, head, seq, layout, choices,
                                      SeededScalars(seed))
        enc = ballot.to_json()
        out.append({"name": name, "seed": seed, "origin": ORIGIN, "head": head, "seq": seq,
                    "layout": layout_json(layout), "choices": choices,
                    "vectors": {k: list(layout[k].vector(v)) for k, v in choices.items()},
                    "encrypted": enc, "fingerprint": fingerprint(enc),
                    "reveal": reveal_to_json(rand)})
    return {"comment": "docs/secret-ballots.md §8, §10: valid ballots (draws: per item in "
                       "ascending order, r of every option, then each option's proof, then "
                       "the sum proof)", "key": key, "ballots": out}


def invalid_vectors() -> dict[str, Any]:
    kp, key = key_vector("ballots/key")
    cases = []
    for case in invalid_cases(kp, ORIGIN, LAYOUTS["mixed"]):
        try:
            from ledger.secret.ballot import verify_ballot
            verify_ballot(kp.public, case["origin"], case["head"], case["seq"],
                          LAYOUTS["mixed"], case["encrypted"])
        except BallotRefused as exc:
            case["expected"] = exc.as_dict()
        else:
            raise AssertionError(f"invalid case {case['name']!r} verifies")
        cases.append(case)
    return {"comment": "docs/secret-ballots.md §10.3: ballots that must be refused, with the "
                       "refusal (code, where, item, option, proof)", "key": key,
            "layout": layout_json(LAYOUTS["mixed"]), "cases": cases}


def audit_vectors() -> dict[str, Any]:
    kp, key = key_vector("ballots/key")
    layout = LAYOUTS["mixed"]
    head, seq = "head-11", 2
    choices: dict[str, Any] = {"1": "agree", "3": [0, 2], "4": []}
    ballot, rand = encrypt_ballot(kp.public, ORIGIN, head, seq, layout, choices,
                                  SeededScalars("audit/honest"))
    enc, reveal = ballot.to_json(), reveal_to_json(rand)
    liar, liar_rand = encrypt_ballot(kp.public, ORIGIN, head, seq, layout,
                                     {**choices, "1": "oppose"}, SeededScalars("audit/liar"))
    r0 = int.from_bytes(bytes.fromhex(reveal["1"][0]), "little")
    cases = [
        ("honest phone", enc, reveal, choices),
        ("a phone that shows agree and encrypts oppose", liar.to_json(),
         reveal_to_json(liar_rand), choices),
        ("the owner saw other candidates", enc, reveal, {**choices, "3": [0, 1]}),
        ("a wrong r", enc, {**reveal, "1": [scalar_hex(r0 + 1), *reveal["1"][1:]]}, choices),
        ("the r of another option", enc, {**reveal, "3": [reveal["3"][1], *reveal["3"][1:]]},
         choices),
        ("an item missing from the reveal", enc, {"1": reveal["1"], "3": reveal["3"]}, choices),
        ("an r not reduced below L", enc,
         {**reveal, "4": [L.to_bytes(32, "little").hex(), *reveal["4"][1:]]}, choices),
    ]
    out = []
    for name, encrypted, rev, shown in cases:
        entry: dict[str, Any] = {"name": name, "encrypted": encrypted, "reveal": rev,
                                 "shown": shown}
        try:
            entry["opened"] = audit_challenge(kp.public, ORIGIN, head, seq, layout, encrypted,
                                              rev, shown)
            entry["mismatch"] = None
        except AuditMismatch as exc:
            entry["opened"] = None
            entry["mismatch"] = exc.as_dict()
        out.append(entry)
    return {"comment": "docs/secret-ballots.md §9: challenged ballots, their reveal, the "
                       "choices shown; opened: what they encrypt, or the first mismatch",
            "key": key, "origin": ORIGIN, "head": head, "seq": seq,
            "layout": layout_json(layout), "cases": out}


def build() -> dict[str, bytes]:
    files = {"elgamal.json": elgamal_vectors(), "dlog.json": dlog_vectors(),
             "range_proofs.json": range_vectors(), "ballots.json": ballot_vectors(),
             "invalid_ballots.json": invalid_vectors(), "audit.json": audit_vectors()}
    return {name: (json.dumps(v, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
            for name, v in files.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    differ = 0
    for name, data in build().items():
        path = OUT / name
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                print(f"differs: {path.relative_to(ROOT)}")
                differ = 1
        else:
            OUT.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            print(f"wrote {path.relative_to(ROOT)}")
    return differ


if __name__ == "__main__":
    sys.exit(main())
