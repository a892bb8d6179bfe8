"""The secret-ballot vectors (tests/data/secret): every one checks, and regenerating them
gives the same bytes (scripts/secret_vectors.py is deterministic)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from ledger.secret import elgamal
from ledger.secret.audit import audit_challenge, fingerprint
from ledger.secret.ballot import ItemShape, verify_ballot
from ledger.secret.context import Context
from ledger.secret.disjunctive import RangeProof, prove_range, verify_range
from ledger.secret.dlog import dlog
from ledger.secret.errors import AuditMismatch, BallotRefused, DlogNotFound
from ledger.secret.group import base, decode_point, decode_scalar
from ledger.secret.randomness import SeededScalars

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "secret"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def layout_of(obj: dict[str, Any]) -> dict[str, ItemShape]:
    return {k: ItemShape(v["kind"], v.get("candidates", 0), v.get("seats", 0),
                         v.get("paper", False)) for k, v in obj.items()}


def hk_of(vectors: Any):
    key = vectors["key"]
    x = SeededScalars(key["seed"])()
    assert decode_scalar(key["x"], "x") == x
    hk = decode_point(key["hk"], "hk")
    assert hk == base(x)
    return x, hk


def test_elgamal_vectors() -> None:
    v = load("elgamal.json")
    x, hk = hk_of(v)
    cts = []
    for e in v["encryptions"]:
        ct = elgamal.encrypt(hk, e["m"], decode_scalar(e["r"], "r"))
        assert ct.to_json() == {"a": e["a"], "b": e["b"]}
        cts.append(ct)
    assert elgamal.total(cts[i] for i in v["sum"]["of"]).to_json() == {
        "a": v["sum"]["a"], "b": v["sum"]["b"]}
    w = v["weighted_sum"]
    assert elgamal.weighted_total(zip(w["weights"], (cts[i] for i in w["of"]), strict=True)
                                  ).to_json() == {"a": w["a"], "b": w["b"]}
    for d in v["decryptions"]:
        ct = elgamal.Ciphertext.from_json(d["ciphertext"], "ct")
        point = elgamal.decrypt_to_point(x, ct)
        assert point.hex() == d["m_point"]
        assert dlog(point, d["bound"]) == d["m"]


def test_dlog_vectors() -> None:
    for case in load("dlog.json")["cases"]:
        point = elgamal.Point(bytes.fromhex(case["point"]))
        if case["m"] is None:
            with pytest.raises(DlogNotFound):
                dlog(point, case["bound"])
        else:
            assert dlog(point, case["bound"]) == case["m"]


def test_range_proof_vectors_verify_and_reproduce() -> None:
    v = load("range_proofs.json")
    _, hk = hk_of(v)
    for p in v["proofs"]:
        ct = elgamal.Ciphertext.from_json(p["ciphertext"], "ct")
        ctx: Context = tuple(s.encode() for s in p["ctx"])
        n = p["hi"] - p["lo"] + 1
        proof = RangeProof.from_json(p["proof"], "proof", n)
        assert verify_range(hk, ct, p["lo"], p["hi"], proof, ctx)
        assert not verify_range(hk, ct, p["lo"], p["hi"], proof, (*ctx, b"x"))
        draws = iter([decode_scalar(d, "draw") for d in p["draws"]])
        again = prove_range(hk, ct, p["lo"], p["hi"], p["value"], decode_scalar(p["r"], "r"),
                            ctx, draws.__next__)
        assert again == proof


def test_valid_ballots_verify_and_open_to_their_choices() -> None:
    v = load("ballots.json")
    _, hk = hk_of(v)
    assert len(v["ballots"]) >= 5
    for b in v["ballots"]:
        layout = layout_of(b["layout"])
        verify_ballot(hk, b["origin"], b["head"], b["seq"], layout, b["encrypted"])
        assert fingerprint(b["encrypted"]) == b["fingerprint"]
        opened = audit_challenge(hk, b["origin"], b["head"], b["seq"], layout, b["encrypted"],
                                 b["reveal"], shown=b["choices"])
        assert opened == b["choices"]
        assert {k: list(layout[k].vector(c)) for k, c in b["choices"].items()} == b["vectors"]


def test_invalid_ballots_are_refused_as_recorded() -> None:
    v = load("invalid_ballots.json")
    _, hk = hk_of(v)
    layout = layout_of(v["layout"])
    assert len(v["cases"]) >= 15
    for case in v["cases"]:
        with pytest.raises(BallotRefused) as refused:
            verify_ballot(hk, case["origin"], case["head"], case["seq"], layout,
                          case["encrypted"])
        assert refused.value.as_dict() == case["expected"], case["name"]


def test_audit_vectors_open_or_name_the_mismatch() -> None:
    v = load("audit.json")
    _, hk = hk_of(v)
    layout = layout_of(v["layout"])
    assert v["cases"][0]["mismatch"] is None and len(v["cases"]) >= 6
    for case in v["cases"]:
        run = lambda case=case: audit_challenge(  # noqa: E731
            hk, v["origin"], v["head"], v["seq"], layout, case["encrypted"], case["reveal"],
            case["shown"])
        if case["mismatch"] is None:
            assert run() == case["opened"]
        else:
            with pytest.raises(AuditMismatch) as mismatch:
                run()
            assert mismatch.value.as_dict() == case["mismatch"], case["name"]


def test_regenerating_the_vectors_gives_the_same_bytes() -> None:
    spec = importlib.util.spec_from_file_location("secret_vectors",
                                                  ROOT / "scripts" / "secret_vectors.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("secret_vectors", module)
    spec.loader.exec_module(module)
    for name, data in module.build().items():
        assert (DATA / name).read_bytes() == data, f"{name}: run scripts/secret_vectors.py"
