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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ledger import kinds

#: One item's choice in a ballot: "agree" / "oppose" / "abstain", or the candidates approved.
ItemChoice = str | tuple[str, ...]


class Choices(Mapping[str, ItemChoice]):
    """A ballot's choices by item id: read-only (and, unlike a mapping proxy, picklable —
    the verifier's workers send parsed entries back to the main process)."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, ItemChoice]) -> None:
        self._items = dict(items)

    def __getitem__(self, item: str) -> ItemChoice:
        return self._items[item]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self.items()) == dict(other.items())

    def __hash__(self) -> int:
        return hash(frozenset(self._items.items()))

    def __repr__(self) -> str:
        return f"Choices({self._items!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Choices, (self._items,))


def _choices(raw: Mapping[str, Any]) -> Choices:
    return Choices({item: v if isinstance(v, str) else tuple(v) for item, v in raw.items()})


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
class AnyBallot(Payload):
    """What both kinds of ballot carry: the head, its ballot number, a nonce, the choices."""

    head: str
    seq: int
    nonce: str
    choices: Mapping[str, ItemChoice]

    def choices_json(self) -> dict[str, Any]:
        """The choices as signed (candidates as lists)."""
        return _choices_json(self.choices)

    def to_json(self) -> dict[str, Any]:
        # (not super(): slots=True rebuilds the class, which zero-argument super() misses)
        return {**Payload.to_json(self), "choices": _choices_json(self.choices)}


@dataclass(frozen=True, slots=True)
class Ballot(AnyBallot):
    """A voter's ballot, signed on the phone by its device key ``key`` for ``head``."""

    kind: ClassVar[str] = kinds.BALLOT
    key: str


@dataclass(frozen=True, slots=True)
class PaperBallot(AnyBallot):
    """A paper ballot entered and signed by a committee member, with the scan's SHA-256."""

    kind: ClassVar[str] = kinds.PAPER_BALLOT
    official: str
    scan_sha256: str


@dataclass(frozen=True, slots=True)
class ProxyRegistered(Payload):
    """An agent (pseudonym ``agent``) may vote for ``head``; the written proxy's SHA-256."""

    kind: ClassVar[str] = kinds.PROXY_REGISTERED
    head: str
    agent: str
    official: str
    nonce: str
    evidence_sha256: str


@dataclass(frozen=True, slots=True)
class RepresentativeSet(Payload):
    """Of a co-owned unit's owners, ``voter`` (pseudonym) is the one who votes."""

    kind: ClassVar[str] = kinds.REPRESENTATIVE_SET
    head: str
    voter: str
    official: str
    nonce: str


@dataclass(frozen=True, slots=True)
class UnitTransferred(Payload):
    """``head``'s unit was sold at ``transferred_at`` (Unix ms) to ``buyer`` (pseudonym)."""

    kind: ClassVar[str] = kinds.UNIT_TRANSFERRED
    head: str
    buyer: str
    transferred_at: int
    official: str
    nonce: str
    evidence_sha256: str


@dataclass(frozen=True, slots=True)
class EntryVoided(Payload):
    """Entry ``target`` stops counting (it stays in the log), for ``reason``."""

    kind: ClassVar[str] = kinds.VOIDED
    target: int
    reason: str
    official: str
    nonce: str


#: The roles of an enrolled device key: the owner's own, or a proxy agent's.
OWNER_ROLE = "owner"
PROXY_ROLE = "proxy"


@dataclass(frozen=True, slots=True)
class KeyEnrolled(Payload):
    """The log binds device key ``key`` (SPKI ``spki``) to ``head`` for ``voter``."""

    kind: ClassVar[str] = kinds.KEY_ENROLLED
    head: str
    key: str
    spki: str
    role: str  # OWNER_ROLE or PROXY_ROLE
    agent: str | None  # the proxy's agent, None for an owner's key
    voter: str


@dataclass(frozen=True, slots=True)
class KeyRevoked(Payload):
    """The log revokes device key ``key`` of ``head``."""

    kind: ClassVar[str] = kinds.KEY_REVOKED
    head: str
    key: str
    reason: str


@dataclass(frozen=True, slots=True)
class OfficialEnrolled(Payload):
    """The log enrols a committee member's key ``official`` (member pseudonym ``ref``)."""

    kind: ClassVar[str] = kinds.OFFICIAL_ENROLLED
    official: str
    spki: str
    role: str
    ref: str


AnyPayload = (Ballot | PaperBallot | ProxyRegistered | RepresentativeSet | UnitTransferred
              | EntryVoided | KeyEnrolled | KeyRevoked | OfficialEnrolled)

#: The payloads a committee member signs (``official`` names the member's enrolled key).
COMMITTEE_SIGNED = (PaperBallot, ProxyRegistered, RepresentativeSet, UnitTransferred,
                    EntryVoided)

_CLASSES: dict[str, type[AnyPayload]] = {
    cls.kind: cls for cls in (Ballot, PaperBallot, ProxyRegistered, RepresentativeSet,
                              UnitTransferred, EntryVoided, KeyEnrolled, KeyRevoked,
                              OfficialEnrolled)
}
assert set(_CLASSES) == set(kinds.SIGNED), "a signed kind without its payload class"


def typed(kind: str, payload: Mapping[str, Any]) -> AnyPayload:
    """The typed form of a payload whose shape was checked (:func:`ledger.entries.check_body`).

    Raises ``KeyError`` for a kind that carries no signed payload.
    """
    fields = dict(payload)
    if "choices" in fields:
        fields["choices"] = _choices(fields["choices"])
    return _CLASSES[kind](**fields)
