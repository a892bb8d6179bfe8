"""The secret tally's test vector (tests/data/secret/tally.json, written by
scripts/secret_vectors_tally.py) recomputed from its inputs, step by step as
docs/audit-bundle.md §10.2.1 says — what an independent verifier would do."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from ledger import canonical
from ledger.secret import dleq
from ledger.secret.dkg import lagrange_at_zero
from ledger.secret.dlog import dlog
from ledger.secret.elgamal import Ciphertext, encrypt
from ledger.secret.group import IDENTITY, base, decode_point, decode_scalar, mul, scalar_hex
from ledger.secret.parts import Total, totals_digest
from voting.tallyfile import parse

ROOT = Path(__file__).resolve().parents[2]
VECTOR = json.loads((ROOT / "tests" / "data" / "secret" / "tally.json").read_text("utf-8"))


def test_the_vector_file_is_what_the_script_writes() -> None:
    result = subprocess.run([sys.executable, "scripts/secret_vectors_tally.py", "--check"],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_the_tally_recomputed_from_the_inputs() -> None:
    v = VECTOR
    key = decode_point(v["trustees"]["key"], "key")
    parsed = parse({**v["input"], "ballots": [
        {k: x for k, x in b.items() if k != "entry"} for b in v["input"]["ballots"]]})
    # 1. every ciphertext from its plaintext and randomness; the weights from the roster
    sums: dict[tuple[str, int, str], Ciphertext] = {}
    part: dict[str, list[int]] = {}
    for b in v["ballots"]:
        scope = parsed.roster.scope(None)
        assert b["weight"] == scope.area_of[b["head"]]
        p = part.setdefault(b["item"], [0, 0])
        p[0] += b["weight"]
        p[1] += 1
        for j, (m, r) in enumerate(zip(b["plaintexts"], b["randomness"], strict=True)):
            ct = encrypt(key, m, decode_scalar(r, "r"))
            assert ct.to_json() == b["ciphertexts"][j]
            for kind, w in (("area", b["weight"]), ("heads", 1)):
                old = sums.get((b["item"], j, kind), Ciphertext(IDENTITY, IDENTITY))
                sums[(b["item"], j, kind)] = Ciphertext(old.a + mul(w, ct.a),
                                                        old.b + mul(w, ct.b))
    # 2. the tally.encrypted document
    doc = v["tally_encrypted"]
    assert doc["type"] == "tally.encrypted" and doc["key"] == key.hex()
    totals = []
    for item in doc["items"]:
        assert item["entries"] == sorted({b["entry"] for b in v["ballots"]
                                          if b["item"] == item["item"]})
        hundredths = int(item["participating"]["area"].replace(".", ""))
        assert [hundredths, item["participating"]["heads"]] == part[item["item"]]
        for t in item["totals"]:
            ct = sums[(item["item"], t["option"], t["kind"])]
            assert (t["a"], t["b"]) == (ct.a.hex(), ct.b.hex())
            totals.append(Total(item["item"], t["option"], t["kind"], ct.a, ct.b))
    assert len(totals) == len(sums)  # no total omitted but those over no ballot
    assert hashlib.sha256(canonical.encode(doc)).hexdigest() == v["tally_encrypted_sha256"]
    assert totals_digest(v["origin"], key, totals) == v["totals_digest"]
    # 3. every share and proof; 4. the combination and the logarithms
    ds: dict[int, list] = {}
    for dec in v["decryptions"]:
        i = dec["trustee"]
        s = decode_scalar(v["trustees"]["shares"][str(i)], "s")
        y = decode_point(v["trustees"]["verification_keys"][str(i)], "Y")
        assert base(s) == y and dec["totals"] == v["totals_digest"]
        for t, share, nonce in zip(totals, dec["shares"], dec["nonces"], strict=True):
            ctx = dleq.share_context(v["origin"], t.item, t.option, t.kind, i)
            d, proof = dleq.decryption_share(s, t.a, ctx, nonce=decode_scalar(nonce, "w"))
            assert {"d": d.hex(), "proof": proof.to_json()} == {"d": share["d"],
                                                               "proof": share["proof"]}
            assert dleq.verify(y, t.a, d, proof, ctx)
        ds[i] = [decode_point(share["d"], "d") for share in dec["shares"]]
    chosen = tuple(sorted(ds))
    lambdas = {i: lagrange_at_zero(chosen, i) for i in chosen}
    assert {str(i): scalar_hex(lam) for i, lam in lambdas.items()} == v["lagrange"]
    for j, (t, c) in enumerate(zip(totals, v["combined"], strict=True)):
        m_point = t.b
        for i in chosen:
            m_point = m_point - mul(lambdas[i], ds[i][j])
        assert m_point.hex() == c["m_point"]
        bound = part[t.item][0 if t.kind == "area" else 1]
        assert dlog(m_point, bound) == c["m"]
    # 5. the result: the open tally of the same choices
    assert canonical.encode(v["result"]) == canonical.encode(parsed.tally().to_json())
