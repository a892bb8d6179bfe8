"""Shares sent from one trustee to another, encrypted to the recipient's transport key
(docs/secret-ballots.md §12.3).

Each trustee announces an X25519 public *transport key*.  Dealer ``i`` sends ``f_i(l)`` to
trustee ``l`` as an ECIES-style box, every primitive from ``cryptography``:

1. a fresh X25519 ephemeral key pair ``(e, E)``; ``Z = X25519(e, T_l)`` (refused if ``Z`` is
   all zeros: a low-order transport key);
2. ``bind = "ownervote/trustee-share/v1" ‖ 0x00 ‖ frame(origin, i, l, E, T_l)``, where
   ``frame`` is §3's framing (4-byte big-endian length ‖ bytes, integers as decimal ASCII);
3. ``key ‖ nonce = HKDF-SHA256(ikm = Z, salt = none, info = bind, length = 44)``;
4. ``ct = ChaCha20-Poly1305(key).encrypt(nonce, scalar_le32(f_i(l)), aad = bind)``.

On the wire: ``{"to": l, "ephemeral": hex(E), "box": hex(ct)}`` (48 bytes: 32 + 16 tag).
Opening checks the tag against the same binding, so a box moved to another assembly,
dealer or recipient — or altered in any byte — does not open.  The key is used once (a
fresh ephemeral per box), so the derived nonce is never reused.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ledger.secret.group import L
from ledger.secret.trustee_errors import TransportError

LABEL = b"ownervote/trustee-share/v1"
BOX_BYTES = 32 + 16


@dataclass(frozen=True, slots=True)
class SealedShare:
    """One dealt share in transit: to trustee ``to``, from the dealer of the document."""

    to: int
    ephemeral: bytes
    box: bytes


def public_bytes(key: X25519PrivateKey | X25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, X25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def private_bytes(key: X25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())


def new_transport_key() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


def load_transport_key(raw: bytes, where: str) -> X25519PrivateKey:
    if len(raw) != 32:
        raise TransportError(where, "an X25519 private key is 32 bytes")
    return X25519PrivateKey.from_private_bytes(raw)


def binding(origin: str, dealer: int, recipient: int, ephemeral: bytes,
            recipient_key: bytes) -> bytes:
    parts = (origin.encode("utf-8"), str(dealer).encode("ascii"),
             str(recipient).encode("ascii"), ephemeral, recipient_key)
    return LABEL + b"\x00" + b"".join(len(p).to_bytes(4, "big") + p for p in parts)


def _derive(shared: bytes, bind: bytes) -> tuple[bytes, bytes]:
    okm = HKDF(algorithm=hashes.SHA256(), length=44, salt=None, info=bind).derive(shared)
    return okm[:32], okm[32:]


def _exchange(private: X25519PrivateKey, public: bytes, where: str) -> bytes:
    try:
        return private.exchange(X25519PublicKey.from_public_bytes(public))
    except ValueError:  # wrong length, or an all-zero shared secret (low-order point)
        raise TransportError(where, "not a usable X25519 public key") from None


def seal(share: int, *, origin: str, dealer: int, recipient: int, recipient_key: bytes,
         ephemeral: X25519PrivateKey | None = None) -> SealedShare:
    """Encrypt ``share`` to ``recipient_key`` (``ephemeral``: for test vectors only)."""
    if not 0 <= share < L:
        raise ValueError("a share is a scalar in [0, L)")
    eph = ephemeral or X25519PrivateKey.generate()
    e_pub = public_bytes(eph)
    shared = _exchange(eph, recipient_key, f"trustee {recipient}.transport_key")
    bind = binding(origin, dealer, recipient, e_pub, recipient_key)
    key, nonce = _derive(shared, bind)
    box = ChaCha20Poly1305(key).encrypt(nonce, share.to_bytes(32, "little"), bind)
    return SealedShare(recipient, e_pub, box)


def open_share(sealed: SealedShare, *, origin: str, dealer: int,
               own_key: X25519PrivateKey, where: str) -> int:
    """Decrypt a share sent to us; :class:`TransportError` naming ``where`` if it fails."""
    if len(sealed.box) != BOX_BYTES or len(sealed.ephemeral) != 32:
        raise TransportError(where, "a sealed share is a 32-byte ephemeral key and 48 bytes")
    own_public = public_bytes(own_key)
    shared = _exchange(own_key, sealed.ephemeral, f"{where}.ephemeral")
    bind = binding(origin, dealer, sealed.to, sealed.ephemeral, own_public)
    key, nonce = _derive(shared, bind)
    try:
        plain = ChaCha20Poly1305(key).decrypt(nonce, sealed.box, bind)
    except InvalidTag:
        raise TransportError(where, "the sealed share does not open with this trustee's "
                                    "transport key (tampered, or not for this "
                                    "assembly/dealer/recipient)") from None
    value = int.from_bytes(plain, "little")
    if value >= L:
        raise TransportError(where, "the decrypted share is not a scalar below L")
    return value
