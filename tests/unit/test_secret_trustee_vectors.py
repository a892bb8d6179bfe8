"""The trustees' test vectors (tests/data/secret/trustee-*.json, written by
scripts/secret_vectors_trustee.py) recomputed from their inputs: docs/secret-ballots.md
§5.2, §5.3, §7 and §12 byte for byte."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from ledger import canonical
from ledger.secret import dkg, dleq, schnorr, transport, trustee_sig
from ledger.secret import trustee_docs as td
from ledger.secret.group import G, base, decode_point, decode_scalar, mul

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "secret"


def _load(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def test_the_vector_files_are_what_the_script_writes() -> None:
    result = subprocess.run([sys.executable, "scripts/secret_vectors_trustee.py", "--check"],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_schnorr_vectors() -> None:
    for case in _load("trustee-schnorr.json")["cases"]:
        a, w = decode_scalar(case["secret"], "a"), decode_scalar(case["nonce"], "w")
        commitment = decode_point(case["commitment"], "C")
        assert base(a) == commitment and base(w).hex() == case["t"]
        ctx = schnorr.coefficient_context(case["origin"], case["trustee"], case["coefficient"])
        proof = schnorr.prove(a, commitment, ctx, nonce=w)
        assert proof.to_json() == case["proof"]
        parsed = schnorr.SchnorrProof.from_json(case["proof"], "proof")
        assert schnorr.verify(commitment, parsed, ctx)
        # the verification equation itself: z·G = T + c·C
        assert base(parsed.z) == decode_point(case["t"], "T") + mul(parsed.c, commitment)


def test_dleq_vectors() -> None:
    for case in _load("trustee-dleq.json")["cases"]:
        s, w = decode_scalar(case["share"], "s"), decode_scalar(case["nonce"], "w")
        a = decode_point(case["a"], "A")
        ctx = dleq.share_context(case["origin"], case["item"], case["option"], case["kind"],
                                 case["trustee"])
        d, proof = dleq.decryption_share(s, a, ctx, nonce=w)
        assert d.hex() == case["d"] and base(s).hex() == case["y"]
        assert proof.to_json() == case["proof"]
        y = decode_point(case["y"], "Y")
        assert dleq.verify(y, a, d, dleq.DleqProof.from_json(case["proof"], "p"), ctx)
        # z·G = T1 + c·Y and z·A = T2 + c·D with T1 = w·G, T2 = w·A
        assert base(proof.z) == base(w) + mul(proof.c, y)
        assert mul(proof.z, a) == mul(w, a) + mul(proof.c, d)


def test_dkg_vectors() -> None:
    v = _load("trustee-dkg.json")
    n = v["n"]
    commitments = {}
    for dealer in v["dealers"]:
        poly = dkg.Polynomial(tuple(decode_scalar(a, "a") for a in dealer["coefficients"]))
        assert [c.hex() for c in poly.commitments()] == dealer["commitments"]
        commitments[dealer["trustee"]] = poly.commitments()
        for who, share in dealer["shares"].items():
            assert dkg.verify_share(decode_scalar(share, "s"), poly.commitments(), int(who))
            assert poly(int(who)) == decode_scalar(share, "s")
    everyone = range(1, n + 1)
    assert dkg.joint_public_key(commitments, everyone).hex() == v["joint_key"]
    x = decode_scalar(v["joint_secret"], "x")
    assert base(x).hex() == v["joint_key"]
    shares = {int(who): decode_scalar(s, "s") for who, s in v["secret_shares"].items()}
    for who, s in shares.items():
        assert dkg.verification_key(commitments, everyone, who).hex() == v["verification_keys"][
            str(who)] == base(s).hex()
    for group in v["lagrange"]:
        lambdas = {int(i): decode_scalar(c, "λ") for i, c in group["coefficients"].items()}
        assert lambdas == {i: dkg.lagrange_at_zero(group["set"], i) for i in group["set"]}
        assert sum(lambdas[i] * shares[i] for i in group["set"]) % dkg.L == x


def test_transport_vectors() -> None:
    for case in _load("trustee-transport.json")["cases"]:
        own = X25519PrivateKey.from_private_bytes(bytes.fromhex(case["recipient_private"]))
        eph = X25519PrivateKey.from_private_bytes(bytes.fromhex(case["ephemeral_private"]))
        share = decode_scalar(case["share"], "share")
        sealed = transport.seal(share, origin=case["origin"], dealer=case["dealer"],
                                recipient=case["recipient"],
                                recipient_key=bytes.fromhex(case["recipient_public"]),
                                ephemeral=eph)
        assert sealed.ephemeral.hex() == case["ephemeral_public"]
        assert sealed.box.hex() == case["box"]
        assert transport.binding(case["origin"], case["dealer"], case["recipient"],
                                 sealed.ephemeral, bytes.fromhex(case["recipient_public"])
                                 ).hex() == case["binding"]
        assert transport.open_share(sealed, origin=case["origin"], dealer=case["dealer"],
                                    own_key=own, where="box") == share


def test_document_vectors() -> None:
    v = _load("trustee-documents.json")
    key = trustee_sig.load_signing_key(bytes.fromhex(v["signing_seed"]), "seed")
    signed = td.loads(v["file"].encode("utf-8"), "file")
    assert td.document_json(signed.document) == v["document"]
    assert (trustee_sig.LABEL + canonical.encode(v["document"])).hex() == v["signed_input"]
    assert td.sign(signed.document, key) == signed  # Ed25519 is deterministic
    assert signed.digest() == v["digest"]
    assert isinstance(signed.document, td.Announcement)
    signed.check_signature(signed.document.signing_key, "file")
    assert trustee_sig.fingerprint(signed.document.signing_key) == v["fingerprint"]
    assert G == base(1)
