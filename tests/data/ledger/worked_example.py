"""Generate the worked example of docs/audit-bundle.md (run from the repository root).

    .venv/bin/python tests/data/ledger/worked_example.py

Writes ``tests/data/ledger/example.zip`` and prints every value the document
quotes.  Keys are derived from fixed seeds; ECDSA signatures are randomised,
so re-running changes the ballot signature and everything hashed after it
(tests/unit/test_ledger_example.py checks the committed bundle, not a re-run).
"""

from __future__ import annotations

import hashlib
import json
import sys
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from ledger import canonical, merkle  # noqa: E402
from ledger.ballots import ballot_payload, key_id, sign_p256, signing_message, spki  # noqa: E402
from ledger.documents import (  # noqa: E402
    convert_choices,
    grouped_roster,
    item_doc,
    parse_assembly,
)
from ledger.kinds import BALLOT  # noqa: E402
from ledger.memlog import MemLog  # noqa: E402
from ledger.note import ALG_COSIGNATURE_V1, Signer  # noqa: E402
from ledger.receipts import tracker_code  # noqa: E402
from voting.heads import Unit  # noqa: E402
from voting.settings import AssemblySettings  # noqa: E402
from voting.tally import tally  # noqa: E402

OUT = Path(__file__).with_name("example.zip")
OPENS, CLOSES = 1_772_323_200_000, 1_773_619_200_000  # 2026-03-01, 2026-03-16 UTC


def seed(name: str) -> bytes:
    return hashlib.sha256(b"ownervote worked example/" + name.encode()).digest()


def main() -> None:
    log_key = Signer("ownervote.example/log", Ed25519PrivateKey.from_private_bytes(seed("log")))
    witness = Signer(
        "street-office.example/w1",
        Ed25519PrivateKey.from_private_bytes(seed("witness")),
        ALG_COSIGNATURE_V1,
    )
    phone = ec.derive_private_key(int.from_bytes(seed("phone"), "big"), ec.SECP256R1())
    settings = AssemblySettings()
    units = [
        (
            Unit.from_areas("1幢-101", {"owner-a"}, registered=Decimal("89.37"), building="1幢"),
            "registered",
        ),
        (
            Unit.from_areas("1幢-102", {"owner-b"}, registered=Decimal("120.00"), building="1幢"),
            "registered",
        ),
        (
            Unit.from_areas(
                "1幢-103", (), contract=Decimal("75.50"), building="1幢", developer_held=True
            ),
            "unsold",
        ),
    ]
    roster_bytes, roster = grouped_roster(
        {"community": "示例小区", "roster_version": 1, "registry_digest": "ab" * 32},
        units,
        settings,
    )
    head = roster.head_of_unit["1幢-101"]
    assembly = {
        "id": 1,
        "title": "2026年第一次业主大会",
        "description": "",
        "community": "示例小区",
        "notice_at": OPENS - 15 * 86_400_000,
        "opens_at": OPENS,
        "closes_at": CLOSES,
        "settings": settings.to_dict(),
        "items": [item_doc("1", "续聘物业服务企业", "", "motion", 4, None, None, None)],
    }
    origin = "ownervote.example/community-1/assembly/1"
    log = MemLog(log_key, origin, assembly, roster_bytes, OPENS - 86_400_000)
    device_spki = spki(phone.public_key())
    log.enroll_key(head, device_spki, voter="v-owner-a", time_ms=OPENS + 60_000)
    payload = ballot_payload(
        origin, head, key_id(device_spki), 1, {"1": "agree"}, canonical.b64url(seed("nonce")[:16])
    )
    message = signing_message(payload)
    sig = sign_p256(phone, message)
    index = log.signed(BALLOT, payload, sig, OPENS + 120_000)
    log.close(CLOSES)
    items = parse_assembly(assembly).items.values()
    result = tally(roster, items, {(head, "1"): convert_choices({"1": "agree"})["1"]}, settings)
    log.publish_result(result.to_json(), CLOSES + 3_600_000)
    cp = log.checkpoint()
    log.cosign_all(witness, 1_773_622_800)
    log.write_bundle(OUT, [witness.verifier])

    entries = log.entries
    show = {
        "log vkey": log_key.verifier.vkey,
        "witness vkey": witness.verifier.vkey,
        "device SPKI (base64url)": canonical.b64url(device_spki),
        "device key id": key_id(device_spki),
        "head id of 1幢-101": head,
        "roster.json SHA-256": hashlib.sha256(roster_bytes).hexdigest(),
        "ballot signing message": message.decode(),
        "ballot signature (P1363, base64url)": canonical.b64url(sig),
        "ballot entry line": entries[index].decode(),
        "ballot entry hash": merkle.leaf_hash(entries[index]).hex(),
        "tracker code": tracker_code(merkle.leaf_hash(entries[index])),
        "entry 0 hash": merkle.leaf_hash(entries[0]).hex(),
        "root of all entries": merkle.root(entries).hex(),
        "inclusion proof of the ballot": [h.hex() for h in merkle.inclusion_proof(entries, index)],
        "checkpoint (cosigned)": log.checkpoints[-1].serialize(),
        "checkpoint text": cp.text,
    }
    for k, v in show.items():
        print(f"== {k}\n{v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}\n")


if __name__ == "__main__":
    main()
