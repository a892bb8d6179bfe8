"""A trustee's Ed25519 signature on its public documents (docs/secret-ballots.md §12.2).

Each trustee holds an Ed25519 *signing key* made by ``ownervote trustee init`` on its own
computer; its public half is in the trustee's announcement.  A document is signed as

    signature = Ed25519-Sign(key, "ownervote/trustee-document/v1" ‖ 0x00 ‖ canonical(document))

(``canonical``: the RFC 8785 subset of :mod:`ledger.canonical`).  The label keeps these
signatures apart from every other use of an Ed25519 key; the document's ``type``,
``origin`` and ``trustee`` fields bind it to its kind, assembly and author.

Which key belongs to which person is not something a signature can say: the committee
reads each trustee's :func:`fingerprint` aloud or on paper at the ceremony and prints it on
the notice (docs/trustee-guide.md).
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ledger.secret.trustee_errors import TrusteeSignatureError

LABEL = b"ownervote/trustee-document/v1\x00"


def new_signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def load_signing_key(seed: bytes, where: str) -> Ed25519PrivateKey:
    if len(seed) != 32:
        raise TrusteeSignatureError(where, "an Ed25519 private key is a 32-byte seed")
    return Ed25519PrivateKey.from_private_bytes(seed)


def seed_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw,
                                         serialization.PublicFormat.Raw)


def sign(key: Ed25519PrivateKey, canonical_document: bytes) -> bytes:
    return key.sign(LABEL + canonical_document)


def check(public: bytes, canonical_document: bytes, signature: bytes, where: str) -> None:
    """Raise :class:`TrusteeSignatureError` naming ``where`` unless the signature verifies."""
    try:
        key = Ed25519PublicKey.from_public_bytes(public)
    except ValueError:
        raise TrusteeSignatureError(where, "the announced signing key is not an Ed25519 "
                                           "public key") from None
    try:
        key.verify(signature, LABEL + canonical_document)
    except InvalidSignature:
        raise TrusteeSignatureError(where, "the signature does not verify under the "
                                           "trustee's announced signing key") from None


def fingerprint(public: bytes) -> str:
    """SHA-256 of the signing key, first 20 bytes as 10 groups of 4 hex digits."""
    digest = hashlib.sha256(b"ownervote/trustee-key/v1\x00" + public).hexdigest()[:40]
    return " ".join(digest[i:i + 4] for i in range(0, 40, 4))
