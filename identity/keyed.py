"""Keyed hashes (HMAC-SHA-256 with ``Settings.id_hash_key``) of identifying values.

Each hash is domain-separated by a label, so a hash of one kind can never be
replayed as another: the message is ``label || 0x00 || part || 0x00 || part …``
in UTF-8.  Without the server key a stored hash cannot be tested against
guesses (an ID number has only ~10^8 plausible values per region and year, so
an unkeyed hash would be no protection at all).

* ``id_hash(type, number)`` — owners and people; ``number`` normalised
  (NFKC, whitespace removed, upper case), the type code included, so that a
  passport and an ID card with the same characters never collide.
* ``certificate_hash`` — 不动产权证号, normalised the same way.
* ``phone_hash`` — the E.164-less 11-digit mainland number.
* ``name_digest`` — only for constant-time comparison of a typed name with
  the decrypted registry name; never stored.
* ``roster_owner_ref`` — the pseudonym an owner has in one community's
  canonical roster (see ``identity.roster``); unlinkable across communities.
* ``ledger_voter_ref`` — an owner's pseudonym in one assembly's ledger.
* ``opaque`` — throttling keys and client references in audit events.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from typing import Protocol

from identity.idnumbers import normalise_number


def normalise_name(name: str) -> str:
    """NFKC, whitespace removed (registry names carry no meaningful spaces), upper case.

    ``张 三`` and ``张三`` are the same name; ``Zhang San`` and ``ZHANGSAN`` too.
    Middle dots in transliterated names (``·``, ``•``, ``．``) are unified.
    """
    text = unicodedata.normalize("NFKC", name)
    text = text.replace("•", "·").replace("・", "·").replace("．", "·")
    # NFKC again: removing spaces or upper-casing can leave a combining mark to compose
    return unicodedata.normalize("NFKC", "".join(text.split()).upper())


class HashKeySettings(Protocol):
    """What :meth:`KeyedHasher.from_settings` reads (``ownervote.config.Settings``)."""

    @property
    def id_hash_key(self) -> bytes: ...


class KeyedHasher:
    """HMAC-SHA-256 under the server's ID-hash key; every output is 64 hex digits."""

    __slots__ = ("_keyed", "_refs")

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the ID hash key must be at least 16 bytes")
        # The standard library's HMAC, keyed once and copied per message: the import
        # hashes ~300k values and copying skips re-deriving the padded key each time.
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)
        self._refs: dict[tuple[str, str], str] = {}

    @classmethod
    def from_settings(cls, settings: HashKeySettings) -> KeyedHasher:
        return cls(settings.id_hash_key)

    def _mac(self, label: str, *parts: str) -> str:
        mac = self._keyed.copy()
        mac.update("\x00".join((label, *parts)).encode("utf-8"))
        return mac.hexdigest()

    def id_hash(self, id_type_code: str, number: str, *, normalised: bool = False) -> str:
        """``normalised=True`` skips normalisation for numbers that already went through
        :func:`identity.idnumbers.validate` (the importer hashes ~100,000 of them)."""
        return self._mac("ownervote/id/v1", id_type_code,
                         number if normalised else normalise_number(number))

    def certificate_hash(self, certificate_no: str) -> str:
        return self._mac("ownervote/certificate/v1", normalise_number(certificate_no))

    def phone_hash(self, phone: str) -> str:
        return self._mac("ownervote/phone/v1", phone)

    def name_digest(self, name: str) -> bytes:
        return bytes.fromhex(self._mac("ownervote/name/v1", normalise_name(name)))

    def roster_owner_ref(self, community: str, id_hash: str) -> str:
        ref = self._refs.get((community, id_hash))
        if ref is None:
            ref = self._mac("ownervote/roster-owner/v1", community, id_hash)[:32]
            if len(self._refs) < 1_000_000:  # memo: a refresh derives each ref twice
                self._refs[(community, id_hash)] = ref
        return ref

    def ledger_voter_ref(self, origin: str, owner_id_hash: str) -> str:
        """The pseudonym of an owner in one log's enrolment and representative entries.

        Different in every log (the origin is hashed in), so ledgers of two
        assemblies cannot be joined on it; the server can recompute it to tell a
        co-owner who already votes for their home.
        """
        return "v-" + self.opaque("ledger-voter/v1", f"{origin}\x00{owner_id_hash}")[:32]

    def opaque(self, label: str, value: str) -> str:
        return self._mac("ownervote/opaque/v1", label, value)
