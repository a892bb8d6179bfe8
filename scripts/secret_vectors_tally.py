"""Write the secret tally's test vector: tests/data/secret/tally.json (seeded, reproducible).

    .venv/bin/python scripts/secret_vectors_tally.py [--check]

A small community (five units in two buildings), a motion and an election of three
candidates for two seats, the counting ballots' plaintexts and randomness, a 2-of-3
trustees' key: the file gives every intermediate value of docs/audit-bundle.md §10.2.1 —
each ciphertext, the head's weight per item, the ``tally.encrypted`` document and its
SHA-256, the digest of the totals a decryption covers, trustees 1 and 3's shares with their
DLEQ proofs (and nonces), the combined ``m·G`` and ``m`` of every total — and the result,
which is also the open tally of the same choices.  Every scalar is
``SHA-512("ownervote/vectors/tally" ‖ 0x00 ‖ label) mod L``.  ``--check`` only compares.
tests/unit/test_secret_tally_vectors.py recomputes every value from the inputs.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ledger import canonical  # noqa: E402
from ledger.secret import dleq  # noqa: E402
from ledger.secret import tally as secret  # noqa: E402
from ledger.secret.ballot import ItemShape  # noqa: E402
from ledger.secret.dkg import lagrange_at_zero  # noqa: E402
from ledger.secret.elgamal import encrypt  # noqa: E402
from ledger.secret.group import L, base, scalar_hex  # noqa: E402
from ledger.secret.parts import combine, totals_digest  # noqa: E402
from ledger.secret.trustee_docs import Decryption, ShareOfTotal  # noqa: E402
from voting.items import Item  # noqa: E402
from voting.sales import scopes_with_sales  # noqa: E402
from voting.tallyfile import TallyInput, parse  # noqa: E402

OUT = ROOT / "tests" / "data" / "secret" / "tally.json"
ORIGIN = "ownervote.example/vector-garden/assembly/7"
N, K, DECRYPTING = 3, 2, (1, 3)
INPUT: dict[str, Any] = {
    "units": [
        {"unit": "1-101", "owners": ["o1"], "registered_area": "89.37", "building": "1"},
        {"unit": "1-102", "owners": ["o2"], "registered_area": "120.50", "building": "1"},
        {"unit": "2-201", "owners": ["o3"], "registered_area": "99.00", "building": "2"},
        {"unit": "2-202", "owners": ["o4"], "registered_area": "70.20", "building": "2"},
        {"unit": "2-203", "owners": ["o5"], "registered_area": "65.00", "building": "2"},
    ],
    "items": [{"id": "1", "matter": "ordinary"},
              {"id": "2", "type": "election", "candidates": ["c1", "c2", "c3"], "seats": 2}],
    # the counting ballots (entry: the ballot's log index; a head's ballot may cover items)
    "ballots": [
        {"unit": "1-101", "item": "1", "choice": "agree", "entry": 11},
        {"unit": "1-101", "item": "2", "approve": ["c1", "c2"], "entry": 11},
        {"unit": "1-102", "item": "1", "choice": "oppose", "entry": 12},
        {"unit": "1-102", "item": "2", "approve": [], "entry": 12},
        {"unit": "2-201", "item": "1", "choice": "agree", "entry": 13},
        {"unit": "2-201", "item": "2", "choice": "invalid", "channel": "paper", "entry": 15},
        {"unit": "2-202", "item": "1", "choice": "agree", "entry": 14},
        {"unit": "2-202", "item": "2", "approve": ["c2", "c3"], "entry": 14},
        {"unit": "2-203", "item": "2", "approve": ["c2"], "entry": 16},
    ],
}


def seeded(label: str) -> int:
    value = int.from_bytes(hashlib.sha512(b"ownervote/vectors/tally\x00" + label.encode())
                           .digest(), "little") % L
    return value or 1


def tally_file() -> dict[str, Any]:
    """INPUT as a tally file (without the entries)."""
    return {**INPUT, "ballots": [{k: v for k, v in b.items() if k != "entry"}
                                 for b in INPUT["ballots"]]}


def plaintexts(item: Item, ballot: dict[str, Any]) -> tuple[bool, tuple[int, ...]]:
    """(paper, the 0/1 of every option): docs/secret-ballots.md §10.1."""
    paper = ballot.get("channel") == "paper"
    if not item.is_election:
        return paper, ItemShape("motion").vector(ballot["choice"])
    shape = ItemShape("election", len(item.candidates), item.seats, paper)
    if "approve" in ballot:
        return paper, shape.vector(sorted(item.candidates.index(c) for c in ballot["approve"]))
    return paper, shape.vector(ballot["choice"])


def build() -> dict[str, Any]:
    parsed: TallyInput = parse(tally_file())
    items = {item.item_id: item for item in parsed.items}
    coefficients = (seeded("a0"), seeded("a1"))
    shares = {i: (coefficients[0] + coefficients[1] * i) % L for i in range(1, N + 1)}
    key = base(coefficients[0])
    community, scopes = scopes_with_sales(parsed.roster, parsed.items)
    ballots: list[dict[str, Any]] = []
    counted: dict[str, list[secret.CountedBallot]] = {}
    for b in INPUT["ballots"]:
        head = parsed.roster.head_of_unit[b["unit"]]
        paper, ms = plaintexts(items[b["item"]], b)
        rs = [seeded(f"r {b['entry']} {b['item']} {j}") for j in range(len(ms))]
        cts = tuple(encrypt(key, m, r) for m, r in zip(ms, rs, strict=True))
        counted.setdefault(b["item"], []).append(secret.CountedBallot(head, b["entry"], cts))
        ballots.append({"unit": b["unit"], "head": head, "item": b["item"], "entry": b["entry"],
                        "paper": paper, "weight": scopes[b["item"]].area_of[head],
                        "plaintexts": list(ms), "randomness": [scalar_hex(r) for r in rs],
                        "ciphertexts": [ct.to_json() for ct in cts]})
    enc = secret.totals_from_counted_ballots(ORIGIN, key, parsed.items, community, scopes,
                                             counted)
    digest = totals_digest(ORIGIN, key, enc.totals)
    docs, published = {}, []
    for trustee in DECRYPTING:
        out = []
        for j, t in enumerate(enc.totals):
            nonce = seeded(f"w {trustee} {j}")
            ctx = dleq.share_context(ORIGIN, t.item, t.option, t.kind, trustee)
            d, proof = dleq.decryption_share(shares[trustee], t.a, ctx, nonce=nonce)
            out.append(ShareOfTotal(t.item, t.option, t.kind, d, proof))
        docs[trustee] = Decryption(ORIGIN, trustee, digest, tuple(out))
        published.append({"trustee": trustee, "totals": digest,
                          "nonces": [scalar_hex(seeded(f"w {trustee} {j}"))
                                     for j in range(len(enc.totals))],
                          **docs[trustee].fields()})
    report = combine(ORIGIN, key, K, enc.totals, docs, {i: base(s) for i, s in shares.items()})
    plain = secret.decrypt(enc, report)
    result = secret.result(parsed.items, parsed.settings, enc, report).to_json()
    assert canonical.encode(result) == canonical.encode(parsed.tally().to_json())
    doc = enc.to_json()
    return {
        "spec": "docs/audit-bundle.md §10.2.1; docs/secret-ballots.md §4, §5.2, §6, §7, §13",
        "origin": ORIGIN, "input": INPUT,
        "trustees": {"n": N, "k": K, "key": key.hex(),
                     "shares": {str(i): scalar_hex(s) for i, s in shares.items()},
                     "verification_keys": {str(i): base(s).hex() for i, s in shares.items()}},
        "ballots": ballots,
        "tally_encrypted": doc,
        "tally_encrypted_sha256": hashlib.sha256(canonical.encode(doc)).hexdigest(),
        "totals_digest": digest,
        "decryptions": published,
        "lagrange": {str(i): scalar_hex(lagrange_at_zero(DECRYPTING, i)) for i in DECRYPTING},
        "combined": [{"item": c.total.item, "option": c.total.option, "kind": c.total.kind,
                      "m_point": c.m_point.hex(),
                      "m": plain.get(c.total.item, c.total.option, c.total.kind)}
                     for c in report.combined],
        "result": result,
    }


def main(argv: list[str]) -> int:
    data = (json.dumps(build(), ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()
    if "--check" in argv:
        if not OUT.exists() or OUT.read_bytes() != data:
            print(f"stale: {OUT.name}", file=sys.stderr)
            return 1
        return 0
    OUT.write_bytes(data)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
