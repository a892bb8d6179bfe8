"""Signed payloads: what a phone (or a committee member) signs, and how it is checked.

A signed payload is a JSON object; the signed message is

    ascii(domain prefix) || canonical_json(payload)

with one prefix per purpose and version (:data:`PREFIXES`), e.g. the phone signs
``b"ownervote/ballot/v1\\n" + canonical_json(ballot_payload(...))`` with ECDSA
P-256 / SHA-256 (WebCrypto ``{name: "ECDSA", hash: "SHA-256"}``) and sends the
64-byte IEEE P1363 signature ``r || s`` (base64url).  Voter keys are P-256
only; committee keys may be P-256 or Ed25519.  The key id of a key is the
lowercase hex SHA-256 of its SubjectPublicKeyInfo DER.

ECDSA signatures must be *low-S* (``s <= n/2``): for every valid ``(r, s)`` the pair
``(r, n - s)`` is valid too, so without this rule anyone relaying a signed ballot could
land a second, different entry (another entry hash, another tracker code) from it.  A
high-S signature is refused here, hence by the server and by the offline verifier alike;
signers normalise ``s`` to ``n - s`` (:func:`sign_p256`, and ``ovcrypto.signMessage`` in
the browser, since WebCrypto does not).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature

# key_id is re-exported: the ledger names keys by it (ledger.ballots.key_id)
from identity.devicekeys import key_id as key_id
from identity.devicekeys import load_p256
from identity.errors import DeviceKeyError
from ledger import canonical
from ledger.errors import EncodingError, Refusal, SignatureError

PREFIXES: dict[str, bytes] = {
    "ballot": b"ownervote/ballot/v1\n",
    "paper_ballot": b"ownervote/paper-ballot/v1\n",
    "proxy.registered": b"ownervote/proxy/v1\n",
    "entry.voided": b"ownervote/void/v1\n",
    "key.enrolled": b"ownervote/key-enrolment/v1\n",
    "key.revoked": b"ownervote/key-revocation/v1\n",
    "official.enrolled": b"ownervote/official-enrolment/v1\n",
    "representative.set": b"ownervote/representative/v1\n",
    "unit.transferred": b"ownervote/unit-transfer/v1\n",
}

HEAD_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
ITEM_KEY = re.compile(r"^[1-9][0-9]{0,3}$")
MOTION_CHOICES = ("agree", "oppose", "abstain")
#: the string choices a ballot may carry: the motion choices, and "invalid" (an over-marked
#: paper election ballot; the casting rules refuse it anywhere else)
CHOICE_WORDS = (*MOTION_CHOICES, "invalid")
_PREHASHED = ec.ECDSA(Prehashed(hashes.SHA256()))
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
#: The largest ``s`` of a low-S signature (``n // 2``; ``n`` is odd, so ``s`` and ``n - s``
#: are never both at most this).
P256_HALF_ORDER = _P256_ORDER // 2


def new_nonce() -> str:
    """16 random bytes, base64url: makes every payload unique."""
    return canonical.b64url(secrets.token_bytes(16))


def ballot_payload(
    origin: str, head_id: str, key_id: str, seq: int, choices: Mapping[str, Any], nonce: str
) -> dict[str, Any]:
    """The object a voter's device signs for one ballot (all items it votes on)."""
    payload = {
        "origin": origin,
        "head": head_id,
        "key": key_id,
        "seq": seq,
        "nonce": nonce,
        "choices": dict(choices),
    }
    check_ballot_payload(payload)
    return payload


def secret_ballot_payload(origin: str, head_id: str, key_id: str, seq: int,
                          encrypted: Mapping[str, Any], nonce: str) -> dict[str, Any]:
    """The object a voter's device signs for a secret ballot: the open one's with
    ``encrypted`` (docs/secret-ballots.md §10.1) in place of ``choices``."""
    payload = {"origin": origin, "head": head_id, "key": key_id, "seq": seq, "nonce": nonce,
               "encrypted": dict(encrypted)}
    check_ballot_payload(payload)
    return payload


def check_encrypted(encrypted: Any, where: str = "encrypted") -> None:
    """Shape only: item keys "1".."9999" -> ``{"options": [...], "sum": {...}}``.  Points,
    scalars and proofs are checked against the notice's items by
    :func:`ledger.secret.ballot.verify_ballot` (the casting rules, the replay)."""
    if not isinstance(encrypted, dict) or not encrypted:
        raise EncodingError(f"{where} must be a non-empty object")
    for k, v in encrypted.items():
        if not isinstance(k, str) or not ITEM_KEY.match(k):
            raise EncodingError(f"{where}: item key {k!r} is not a positive decimal")
        if not isinstance(v, dict) or set(v) != {"options", "sum"}:
            raise EncodingError(f"{where}[{k}] must be an object with options and sum")
        if not isinstance(v["options"], list) or not isinstance(v["sum"], dict):
            raise EncodingError(f"{where}[{k}]: options is a list, sum an object")


def ballot_content_keys(p: Any) -> set[str]:
    """``{"choices"}`` (an open ballot) or ``{"encrypted"}`` (a secret one): whichever the
    payload has (``choices`` when it has neither, for the error message)."""
    return {"encrypted"} if isinstance(p, dict) and "encrypted" in p else {"choices"}


def check_content(p: dict[str, Any]) -> None:
    """A ballot's ``choices`` or ``encrypted`` member (the shape; not both)."""
    if "encrypted" in p:
        check_encrypted(p["encrypted"])
    else:
        check_choices(p["choices"])


def check_choices(choices: Any, where: str = "choices") -> None:
    """Shape only: item keys "1".."9999" -> a motion choice or a list of candidate strings."""
    if not isinstance(choices, dict) or not choices:
        raise EncodingError(f"{where} must be a non-empty object")
    for k, v in choices.items():
        if not isinstance(k, str) or not ITEM_KEY.match(k):
            raise EncodingError(f"{where}: item key {k!r} is not a positive decimal")
        if isinstance(v, str):
            if v not in CHOICE_WORDS:
                raise EncodingError(f"{where}[{k}]: {v!r} is not agree, oppose, abstain or "
                                    "invalid")
        elif isinstance(v, list):
            if len(set(map(str, v))) != len(v) or not all(isinstance(c, str) and c for c in v):
                raise EncodingError(f"{where}[{k}]: candidates must be distinct strings")
        else:
            raise EncodingError(f"{where}[{k}] must be a choice or a list of candidates")


def check_ballot_payload(p: Any) -> None:
    """An open ballot (``choices``) or a secret one (``encrypted``), docs/audit-bundle.md §6."""
    expect_keys(p, {"origin", "head", "key", "seq", "nonce"} | ballot_content_keys(p),
                "ballot payload")
    check_common(p)
    check_key_id(p["key"], "key")
    check_seq(p["seq"])
    check_content(p)


def expect_keys(obj: Any, keys: set[str], what: str) -> None:
    if not isinstance(obj, dict):
        raise EncodingError(f"{what} must be an object")
    if set(obj) != keys:
        missing, extra = sorted(keys - set(obj)), sorted(set(obj) - keys)
        raise EncodingError(f"{what}: missing {missing}, unexpected {extra}")


def check_common(p: dict[str, Any]) -> None:
    if not isinstance(p["origin"], str) or not p["origin"]:
        raise EncodingError("origin must be a non-empty string")
    if "head" in p and not (isinstance(p["head"], str) and HEAD_ID.match(p["head"])):
        raise EncodingError(f"head id {p['head']!r} is malformed")
    if "nonce" in p:
        if len(canonical.unb64url(p["nonce"], "nonce")) != 16:
            raise EncodingError("nonce must be 16 bytes")


def check_key_id(value: Any, what: str) -> None:
    canonical.unhex(value, 32, what)


def check_seq(value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise EncodingError(f"seq must be a positive integer, not {value!r}")


def signing_message(payload: Mapping[str, Any], kind: str = "ballot") -> bytes:
    """The exact bytes signed: domain prefix of ``kind`` + canonical JSON of ``payload``."""
    return PREFIXES[kind] + canonical.encode(dict(payload))


def load_voter_key(spki_der: bytes) -> ec.EllipticCurvePublicKey:
    """A voter's P-256 key (:func:`identity.devicekeys.load_p256`); a bad one is a
    :class:`~ledger.errors.SignatureError` here, as every other key the log refuses."""
    try:
        return load_p256(spki_der)
    except DeviceKeyError as exc:
        raise SignatureError(f"voter key: {exc}") from None


def load_official_key(spki_der: bytes) -> ec.EllipticCurvePublicKey | Ed25519PublicKey:
    try:
        key = serialization.load_der_public_key(spki_der)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise SignatureError("public key is not a valid SubjectPublicKeyInfo") from exc
    if isinstance(key, Ed25519PublicKey):
        return key
    return load_voter_key(spki_der)


def p1363_to_der(sig: bytes) -> bytes:
    if len(sig) != 64:
        raise SignatureError(f"ECDSA signature must be 64 bytes r||s, got {len(sig)}",
                             code=Refusal.BAD_SIGNATURE)
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    if not (0 < r < _P256_ORDER and 0 < s < _P256_ORDER):
        raise SignatureError("ECDSA signature r or s out of range", code=Refusal.BAD_SIGNATURE)
    if s > P256_HALF_ORDER:
        raise SignatureError("ECDSA signature is not low-S (s > n/2): malleable, refused",
                             code=Refusal.BAD_SIGNATURE)
    return encode_dss_signature(r, s)


def low_s(sig: bytes) -> bytes:
    """The low-S form of a 64-byte P1363 signature (``s`` -> ``n - s`` when ``s > n/2``):
    the same signature's one form the log accepts."""
    r, s = sig[:32], int.from_bytes(sig[32:], "big")
    if s > P256_HALF_ORDER:
        s = _P256_ORDER - s
    return r + s.to_bytes(32, "big")


def verify_p256_message(key: ec.EllipticCurvePublicKey, message: bytes, sig_raw64: bytes) -> None:
    der = p1363_to_der(sig_raw64)
    try:
        key.verify(der, hashlib.sha256(message).digest(), _PREHASHED)
    except InvalidSignature as exc:
        raise SignatureError("ECDSA P-256 signature does not verify",
                             code=Refusal.BAD_SIGNATURE) from exc


def verify_signed(key: Any, message: bytes, sig: bytes) -> None:
    """Verify with a P-256 (P1363 r||s) or Ed25519 public key object."""
    if isinstance(key, Ed25519PublicKey):
        try:
            key.verify(sig, message)
        except InvalidSignature as exc:
            raise SignatureError("Ed25519 signature does not verify",
                                 code=Refusal.BAD_SIGNATURE) from exc
        return
    verify_p256_message(key, message, sig)


def verify_ballot_signature(spki_der: bytes, payload: Mapping[str, Any], sig_raw64: bytes) -> None:
    """Raise :class:`SignatureError` unless ``sig_raw64`` is the device's signature.

    ``spki_der`` is the device key (SubjectPublicKeyInfo DER), ``payload`` the
    ballot payload, ``sig_raw64`` the 64-byte IEEE P1363 ``r || s`` signature.
    """
    check_ballot_payload(dict(payload))
    if payload["key"] != key_id(spki_der):
        raise SignatureError("payload key id is not the SHA-256 of this public key")
    verify_p256_message(load_voter_key(spki_der), signing_message(payload), sig_raw64)


def sign_p256(private_key: ec.EllipticCurvePrivateKey, message: bytes) -> bytes:
    """Sign like the browser does (P1363 r||s, normalised to low-S as ``ovcrypto.js``
    does after WebCrypto); for tests, tools and the benchmark."""
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    r, s = decode_dss_signature(private_key.sign(message, ec.ECDSA(hashes.SHA256())))
    return low_s(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def spki(public_key: ec.EllipticCurvePublicKey | Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
