"""A trustee's secret files, sealed under a passphrase (docs/secret-ballots.md §12.4).

``seal(secret, passphrase, header)`` returns the JSON-able ``{"kdf": "scrypt", "n", "r",
"p", "salt", "nonce", "box"}``: ``key = scrypt(passphrase UTF-8, salt, n = 2^15, r = 8,
p = 1, 32 bytes)`` and ``box = ChaCha20-Poly1305(key).encrypt(nonce, secret,
aad = "ownervote/trustee-file/v1" ‖ 0x00 ‖ header)`` with a random 16-byte salt and 12-byte
nonce — scrypt and the AEAD from ``cryptography``.  ``header`` is the canonical JSON of the
file's public fields, so a sealed secret cannot be moved to another trustee's or
ceremony's file.  A stolen file is then only as weak as its passphrase, not free.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ledger.secret.trustee_errors import TrusteeError

LABEL = b"ownervote/trustee-file/v1\x00"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
MIN_PASSPHRASE = 8


class PassphraseError(TrusteeError):
    """A wrong passphrase, a file altered, or a passphrase too short."""


def _key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def seal(secret: bytes, passphrase: str, header: bytes) -> dict[str, Any]:
    if len(passphrase) < MIN_PASSPHRASE:
        raise PassphraseError("passphrase", f"use at least {MIN_PASSPHRASE} characters")
    salt, nonce = os.urandom(16), os.urandom(12)
    box = ChaCha20Poly1305(_key(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)).encrypt(
        nonce, secret, LABEL + header)
    return {"kdf": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P,
            "salt": salt.hex(), "nonce": nonce.hex(), "box": box.hex()}


def open_sealed(sealed: Any, passphrase: str, header: bytes, where: str) -> bytes:
    if not isinstance(sealed, Mapping) or set(sealed) != {"kdf", "n", "r", "p", "salt",
                                                          "nonce", "box"}:
        raise PassphraseError(where, "not a sealed secret")
    n, r, p = sealed["n"], sealed["r"], sealed["p"]
    if sealed["kdf"] != "scrypt" or (n, r, p) != (SCRYPT_N, SCRYPT_R, SCRYPT_P):
        raise PassphraseError(where, "unsupported key derivation (scrypt n=2^15, r=8, p=1 "
                                     "expected)")
    try:
        salt, nonce, box = (bytes.fromhex(sealed[f]) for f in ("salt", "nonce", "box"))
    except (TypeError, ValueError):
        raise PassphraseError(where, "salt, nonce and box are hex") from None
    if len(salt) != 16 or len(nonce) != 12:
        raise PassphraseError(where, "a 16-byte salt and a 12-byte nonce expected")
    try:
        return ChaCha20Poly1305(_key(passphrase, salt, n, r, p)).decrypt(nonce, box,
                                                                         LABEL + header)
    except InvalidTag:
        raise PassphraseError(where, "wrong passphrase (or the file was altered)") from None
