"""Device keys: the ECDSA P-256 public keys of owners' phones, and their ids (pure).

The browser creates the pair with WebCrypto (non-extractable, kept in
IndexedDB) and sends the public key as SPKI DER.  :func:`load_p256` checks it
is a P-256 point on the curve (``cryptography`` refuses points off the curve),
in canonical uncompressed DER; :func:`key_id` — the lowercase hex SHA-256 of
the DER — names it everywhere (the ledger's ``key`` field included).
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from identity.errors import DeviceKeyError

MAX_SPKI = 200  # a P-256 SPKI is 91 bytes uncompressed, 59 compressed


def key_id(spki_der: bytes) -> str:
    return hashlib.sha256(spki_der).hexdigest()


def load_p256(spki_der: bytes) -> ec.EllipticCurvePublicKey:
    """Parse SPKI DER and insist on an ECDSA P-256 (secp256r1) public key."""
    if not isinstance(spki_der, bytes | bytearray) or not 0 < len(spki_der) <= MAX_SPKI:
        raise DeviceKeyError("a device key is a P-256 public key in SPKI DER (at most "
                             f"{MAX_SPKI} bytes)")
    try:
        key = serialization.load_der_public_key(bytes(spki_der))
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise DeviceKeyError("the device key is not a valid SPKI DER public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise DeviceKeyError("the device key must be ECDSA on P-256 (secp256r1)")
    canonical = key.public_bytes(serialization.Encoding.DER,
                                 serialization.PublicFormat.SubjectPublicKeyInfo)
    if canonical != bytes(spki_der):
        raise DeviceKeyError("the device key DER is not in canonical SPKI form (uncompressed)")
    return key
