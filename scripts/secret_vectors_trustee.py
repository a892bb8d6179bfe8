"""Write the trustees' test vectors: tests/data/secret/trustee-*.json (seeded, reproducible).

    .venv/bin/python scripts/secret_vectors_trustee.py [--check]

Every secret, nonce and ephemeral key is derived from a fixed seed
(``SHA-512("ownervote/vectors/trustee" ‖ 0x00 ‖ label) mod L``, or its first 32 bytes for
X25519/Ed25519 keys), so running the script again writes the same bytes; ``--check`` only
compares.  tests/unit/test_secret_trustee_vectors.py recomputes every value from the
files' inputs with the modules of ledger/secret/ (docs/secret-ballots.md §5.2, §5.3, §7,
§12); an independent implementation should do the same.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from ledger import canonical
from ledger.secret import dkg, dleq, schnorr, transport, trustee_sig
from ledger.secret import trustee_docs as td
from ledger.secret.group import L, base, scalar_hex

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "secret"
ORIGIN = "ownervote.example/vector-garden/assembly/1"


def seeded(label: str) -> int:
    value = int.from_bytes(hashlib.sha512(b"ownervote/vectors/trustee\x00" + label.encode())
                           .digest(), "little") % L
    return value or 1


def seeded_bytes(label: str) -> bytes:
    return hashlib.sha512(b"ownervote/vectors/trustee\x00" + label.encode()).digest()[:32]


def schnorr_vectors() -> dict[str, Any]:
    cases = []
    for trustee, coefficient in ((1, 0), (2, 1), (3, 0)):
        a, w = seeded(f"pok a {trustee} {coefficient}"), seeded(f"pok w {trustee} {coefficient}")
        commitment = base(a)
        ctx = schnorr.coefficient_context(ORIGIN, trustee, coefficient)
        proof = schnorr.prove(a, commitment, ctx, nonce=w)
        cases.append({"origin": ORIGIN, "trustee": trustee, "coefficient": coefficient,
                      "secret": scalar_hex(a), "nonce": scalar_hex(w),
                      "commitment": commitment.hex(), "t": base(w).hex(),
                      "proof": proof.to_json()})
    return {"spec": "docs/secret-ballots.md §5.3, §6", "cases": cases}


def dleq_vectors() -> dict[str, Any]:
    cases = []
    for item, option, kind, trustee in (("1", 0, "area", 1), ("2", 3, "heads", 2)):
        label = f"{item} {option} {kind} {trustee}"
        s, r, w = seeded(f"share s {label}"), seeded(f"share r {label}"), seeded(f"share w {label}")
        a = base(r)
        ctx = dleq.share_context(ORIGIN, item, option, kind, trustee)
        d, proof = dleq.decryption_share(s, a, ctx, nonce=w)
        cases.append({"origin": ORIGIN, "item": item, "option": option, "kind": kind,
                      "trustee": trustee, "share": scalar_hex(s), "a": a.hex(),
                      "nonce": scalar_hex(w), "y": base(s).hex(), "d": d.hex(),
                      "proof": proof.to_json()})
    return {"spec": "docs/secret-ballots.md §5.2, §6", "cases": cases}


def dkg_vectors() -> dict[str, Any]:
    n, k = 4, 3
    polys = {i: dkg.Polynomial(tuple(seeded(f"dkg a {i} {j}") for j in range(k)))
             for i in range(1, n + 1)}
    commitments = {i: p.commitments() for i, p in polys.items()}
    qualified = range(1, n + 1)
    shares = {who: {i: polys[i](who) for i in qualified} for who in qualified}
    secret = {who: dkg.secret_share(shares[who], qualified) for who in qualified}
    sets = ((1, 2, 3), (1, 2, 4), (2, 3, 4), (1, 3, 4))
    return {
        "spec": "docs/secret-ballots.md §7", "n": n, "k": k,
        "dealers": [{"trustee": i, "coefficients": [scalar_hex(a) for a in polys[i].coefficients],
                     "commitments": [c.hex() for c in commitments[i]],
                     "shares": {str(who): scalar_hex(shares[who][i]) for who in qualified}}
                    for i in qualified],
        "secret_shares": {str(who): scalar_hex(secret[who]) for who in qualified},
        "verification_keys": {str(who): dkg.verification_key(commitments, qualified, who).hex()
                              for who in qualified},
        "joint_key": dkg.joint_public_key(commitments, qualified).hex(),
        "joint_secret": scalar_hex(sum(p.coefficients[0] for p in polys.values()) % L),
        "lagrange": [{"set": list(s), "coefficients": {str(i): scalar_hex(
            dkg.lagrange_at_zero(s, i)) for i in s}} for s in sets],
    }


def transport_vectors() -> dict[str, Any]:
    cases = []
    for dealer, recipient in ((1, 2), (3, 1)):
        label = f"{dealer} {recipient}"
        own = X25519PrivateKey.from_private_bytes(seeded_bytes(f"transport recipient {label}"))
        eph = X25519PrivateKey.from_private_bytes(seeded_bytes(f"transport ephemeral {label}"))
        share = seeded(f"transport share {label}")
        own_pub = transport.public_bytes(own)
        sealed = transport.seal(share, origin=ORIGIN, dealer=dealer, recipient=recipient,
                                recipient_key=own_pub, ephemeral=eph)
        cases.append({
            "origin": ORIGIN, "dealer": dealer, "recipient": recipient,
            "recipient_private": transport.private_bytes(own).hex(),
            "recipient_public": own_pub.hex(),
            "ephemeral_private": transport.private_bytes(eph).hex(),
            "ephemeral_public": sealed.ephemeral.hex(), "share": scalar_hex(share),
            "binding": transport.binding(ORIGIN, dealer, recipient, sealed.ephemeral,
                                         own_pub).hex(),
            "box": sealed.box.hex()})
    return {"spec": "docs/secret-ballots.md §12.3", "cases": cases}


def document_vectors() -> dict[str, Any]:
    signing = trustee_sig.load_signing_key(seeded_bytes("doc signing 1"), "seed")
    transport_key = X25519PrivateKey.from_private_bytes(seeded_bytes("doc transport 1"))
    ann = td.Announcement(ORIGIN, 1, 3, 2, "张三 (committee)", trustee_sig.public_bytes(signing),
                          transport.public_bytes(transport_key))
    signed = td.sign(ann, signing)
    return {"spec": "docs/secret-ballots.md §12.1, §12.2",
            "signing_seed": seeded_bytes("doc signing 1").hex(),
            "document": td.document_json(ann),
            "signed_input": (trustee_sig.LABEL + canonical.encode(td.document_json(ann))).hex(),
            "file": td.dumps(signed).decode("utf-8"), "digest": signed.digest(),
            "fingerprint": trustee_sig.fingerprint(ann.signing_key)}


def main(argv: list[str]) -> int:
    files = {"trustee-schnorr.json": schnorr_vectors(), "trustee-dleq.json": dleq_vectors(),
             "trustee-dkg.json": dkg_vectors(), "trustee-transport.json": transport_vectors(),
             "trustee-documents.json": document_vectors()}
    stale = []
    for name, value in files.items():
        data = (json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()
        path = OUT / name
        if "--check" in argv:
            if not path.exists() or path.read_bytes() != data:
                stale.append(name)
            continue
        OUT.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {path}")
    if stale:
        print(f"stale: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
