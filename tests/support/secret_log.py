"""Secret assemblies for the tests: an in-memory log (MemLog) with its key ceremony and
encrypted ballots, and encrypted ballot payloads for the services and the API.

* :func:`secret_settings` — the settings of a secret assembly (``n`` trustees);
* :func:`encrypted_payload` — a device's signed secret ballot (``ballot_payload`` with
  ``encrypted``) for a head and seq, from open-style choices;
* :func:`build` — a published, keyed, voted secret log (no result: the tally is
  sectally's), returning the log, the ceremony and the heads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from ledger import canonical, synthetic
from ledger.ballots import key_id, secret_ballot_payload, sign_p256, signing_message, spki
from ledger.documents import parse_assembly
from ledger.kinds import BALLOT
from ledger.memlog import MemLog
from ledger.note import Signer
from ledger.secret.ballot import ItemShape, encrypt_ballot
from ledger.secret.group import Point
from ledger.secret.ledgerdocs import layout
from tests.support.trustees import Ceremony, full_ceremony

ORIGIN = "ownervote.example/demo/assembly/1"


def secret_settings(n: int = 2, k: int | None = None, **more: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"ballot_secrecy": "secret", "trustees": n, **more}
    if k is not None:
        out["threshold"] = k
    return out


def encrypted(key: Point, origin: str, head: str, seq: int, shapes: Mapping[str, ItemShape],
              choices: Mapping[str, Any]) -> dict[str, Any]:
    """The ``encrypted`` member for ``choices`` (a motion word; an election's candidate
    indices, ``[]`` blank, or ``"invalid"`` on paper)."""
    ballot, _ = encrypt_ballot(key, origin, head, seq, shapes, choices)
    return ballot.to_json()


def encrypted_payload(device: ec.EllipticCurvePrivateKey, key: Point, origin: str, head: str,
                      seq: int, shapes: Mapping[str, ItemShape], choices: Mapping[str, Any],
                      nonce: str | None = None) -> tuple[dict[str, Any], bytes]:
    """A secret ballot signed by ``device`` (payload, 64-byte signature)."""
    nonce = nonce or canonical.b64url(seq.to_bytes(2, "big") * 8)
    payload = secret_ballot_payload(origin, head, key_id(spki(device.public_key())), seq,
                                    encrypted(key, origin, head, seq, shapes, choices), nonce)
    return payload, sign_p256(device, signing_message(payload))


@dataclass
class SecretLog:
    log: MemLog
    ceremony: Ceremony
    heads: list[str]
    shapes: dict[str, ItemShape]
    seed: bytes

    def device(self, n: int) -> ec.EllipticCurvePrivateKey:
        return synthetic.device_key(self.seed, n)


def build(signer: Signer, *, heads: int = 6, items: int = 2, n: int = 2,
          votes: Sequence[tuple[int, Mapping[str, Any]]] = ((0, {"1": "agree"}),),
          seed: bytes = b"secret", close: bool = True, **more: Any) -> SecretLog:
    """Entry 0, the ceremony, the heads' keys, then ``votes`` (``(head number, choices)``;
    a head's seq counts up), and the close (``more``: other settings)."""
    settings = secret_settings(n, **more)
    rdata, head_ids = synthetic.roster(heads, settings)
    adoc = synthetic.assembly_doc(items=items, settings=settings)
    log = MemLog(signer, ORIGIN, adoc, rdata, synthetic.OPENS - 3_600_000)
    ceremony = full_ceremony(ORIGIN, n)
    for signed in ceremony.documents:
        log.append(signed.document.TYPE, signed.to_json())
    for h, head in enumerate(head_ids):
        log.enroll_key(head, spki(synthetic.device_key(seed, h).public_key()), voter=f"v{h}",
                       time_ms=synthetic.OPENS - 1_800_000)
    log.checkpoint()
    shapes = layout(parse_assembly(adoc).items.values())
    out = SecretLog(log, ceremony, head_ids, shapes, seed)
    seqs: dict[int, int] = {}
    t = synthetic.OPENS
    for h, choices in votes:
        seqs[h] = seqs.get(h, 0) + 1
        payload, sig = encrypted_payload(out.device(h), ceremony.key, ORIGIN, head_ids[h],
                                         seqs[h], shapes, choices)
        t += 1
        log.signed(BALLOT, payload, sig, t)
    if close:
        log.close(synthetic.CLOSES)
    log.checkpoint()
    return out
