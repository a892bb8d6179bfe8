"""Signed payloads as typed, frozen values: what a device, a committee member or the log signed.

:func:`ledger.entries.check_body` checks a payload's shape; :func:`typed` then turns
the checked JSON object into the frozen dataclass of its kind, so code reads
``p.head`` and ``p.transferred_at`` (checked, typed) instead of ``payload["head"]``.
:meth:`to_json` gives back the exact object that was signed (lists for the
candidates of an election), so ``canonical.encode(p.to_json())`` is the signed
payload byte for byte.  docs/audit-bundle.md §5 specifies each payload.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

from ledger import canonical, entries

#: One item's choice in a ballot: "agree" / "oppose" / "abstain", or the candidates approved.
ItemChoice = str | tuple[str, ...]


def _choices(raw: Mapping[str, Any]) -> Mapping[str, ItemChoice]:
    return MappingProxyType({item: v if isinstance(v, str) else tuple(v)
                             for item, v in raw.items()})


def _choices_json(choices: Mapping[str, ItemChoice]) -> dict[str, Any]:
    return {item: v if isinstance(v, str) else list(v) for item, v in choices.items()}


@dataclass(frozen=True, slots=True)
class Payload:
    """Fields every signed payload has: the log it is for."""

    kind: ClassVar[str]
    origin: str

    def to_json(self) -> dict[str, Any]:
        """The JSON object that was signed (``canonical.encode`` of it is the signed bytes)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclass(frozen=True, slots=True)
class Ballot(Payload):
    """A voter's ballot, signed on the phone by its device key ``key`` for ``head``."""

    kind: ClassVar[str] = entries.BALLOT
    head: str
    key: str
    seq: int
    nonce: str
    choices: Mapping[str, ItemChoice]

    def choices_json(self) -> dict[str, Any]:
        """The choices as signed (candidates as lists)."""
        return _choices_json(self.choices)

    def to_json(self) -> dict[str, Any]:
        return {"origin": self.origin, "head": self.head, "key": self.key, "seq": self.seq,
                "nonce": self.nonce, "choices": _choices_json(self.choices)}


@dataclass(frozen=True, slots=True)
class PaperBallot(Payload):
    """A paper ballot entered and signed by a committee member, with the scan's SHA-256."""

    kind: ClassVar[str] = entries.PAPER_BALLOT
    head: str
    official: str
    seq: int
    nonce: str
    choices: Mapping[str, ItemChoice]
    scan_sha256: str

    def choices_json(self) -> dict[str, Any]:
        """The choices as signed (candidates as lists)."""
        return _choices_json(self.choices)

    def to_json(self) -> dict[str, Any]:
        return {"origin": self.origin, "head": self.head, "official": self.official,
                "seq": self.seq, "nonce": self.nonce, "choices": _choices_json(self.choices),
                "scan_sha256": self.scan_sha256}


@dataclass(frozen=True, slots=True)
class ProxyRegistered(Payload):
    """An agent (pseudonym ``agent``) may vote for ``head``; the written proxy's SHA-256."""

    kind: ClassVar[str] = entries.PROXY_REGISTERED
    head: str
    agent: str
    official: str
    nonce: str
    evidence_sha256: str


@dataclass(frozen=True, slots=True)
class RepresentativeSet(Payload):
    """Of a co-owned unit's owners, ``voter`` (pseudonym) is the one who votes."""

    kind: ClassVar[str] = entries.REPRESENTATIVE_SET
    head: str
    voter: str
    official: str
    nonce: str


@dataclass(frozen=True, slots=True)
class UnitTransferred(Payload):
    """``head``'s unit was sold at ``transferred_at`` (Unix ms) to ``buyer`` (pseudonym)."""

    kind: ClassVar[str] = entries.UNIT_TRANSFERRED
    head: str
    buyer: str
    transferred_at: int
    official: str
    nonce: str
    evidence_sha256: str


@dataclass(frozen=True, slots=True)
class EntryVoided(Payload):
    """Entry ``target`` stops counting (it stays in the log), for ``reason``."""

    kind: ClassVar[str] = entries.VOIDED
    target: int
    reason: str
    official: str
    nonce: str


@dataclass(frozen=True, slots=True)
class KeyEnrolled(Payload):
    """The log binds device key ``key`` (SPKI ``spki``) to ``head`` for ``voter``."""

    kind: ClassVar[str] = entries.KEY_ENROLLED
    head: str
    key: str
    spki: str
    role: str  # "owner" or "proxy"
    agent: str | None  # the proxy's agent, None for an owner's key
    voter: str


@dataclass(frozen=True, slots=True)
class KeyRevoked(Payload):
    """The log revokes device key ``key`` of ``head``."""

    kind: ClassVar[str] = entries.KEY_REVOKED
    head: str
    key: str
    reason: str


@dataclass(frozen=True, slots=True)
class OfficialEnrolled(Payload):
    """The log enrols a committee member's key ``official`` (member pseudonym ``ref``)."""

    kind: ClassVar[str] = entries.OFFICIAL_ENROLLED
    official: str
    spki: str
    role: str
    ref: str


AnyPayload = (Ballot | PaperBallot | ProxyRegistered | RepresentativeSet | UnitTransferred
              | EntryVoided | KeyEnrolled | KeyRevoked | OfficialEnrolled)

_CLASSES: dict[str, type[AnyPayload]] = {
    cls.kind: cls for cls in (Ballot, PaperBallot, ProxyRegistered, RepresentativeSet,
                              UnitTransferred, EntryVoided, KeyEnrolled, KeyRevoked,
                              OfficialEnrolled)
}
assert set(_CLASSES) == set(entries.SIGNED), "a signed kind without its payload class"


def typed(kind: str, payload: Mapping[str, Any]) -> AnyPayload:
    """The typed form of a payload whose shape was checked (:func:`ledger.entries.check_body`).

    Raises ``KeyError`` for a kind that carries no signed payload.
    """
    fields = dict(payload)
    if "choices" in fields:
        fields["choices"] = _choices(fields["choices"])
    return _CLASSES[kind](**fields)


@dataclass(frozen=True, slots=True)
class Signed:
    """A signed entry's payload and its signature (the body ``{"payload", "sig"}``)."""

    payload: AnyPayload
    sig: bytes


def signed_of(entry: entries.Entry) -> Signed:
    """The typed payload and signature of a checked entry of a ``SIGNED`` kind."""
    return Signed(typed(entry.kind, entry.body["payload"]),
                  canonical.unb64url(entry.body["sig"], "sig"))
