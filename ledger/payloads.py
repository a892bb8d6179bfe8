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
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ledger import kinds

#: What a secret ballot's typed payload holds as the "choice" of each item it votes on
#: (never signed, never in the ledger: the payload has ``encrypted`` instead), so that
#: everything that asks *which items* a ballot votes on reads ``choices`` in both modes;
#: the casting rules read it as :data:`voting.ballots.Sealed.SEALED`.
SEALED_CHOICE = "sealed"

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
    """What both kinds of ballot carry: the head, its ballot number, a nonce, the choices.

    A secret ballot (``ballot_secrecy: secret``) carries ``encrypted`` — the object of
    docs/secret-ballots.md §10.1, as signed — in place of ``choices``, which then maps
    each item it votes on to :data:`SEALED_CHOICE`: which items it votes on is public,
    what it chose is not.
    """

    head: str
    seq: int
    nonce: str
    choices: Mapping[str, ItemChoice]
    encrypted: Mapping[str, Any] | None = field(default=None, kw_only=True)

    @property
    def secret(self) -> bool:
        return self.encrypted is not None

    def choices_json(self) -> dict[str, Any]:
        """The choices as signed (candidates as lists); a secret ballot's items each
        :data:`SEALED_CHOICE`."""
        return _choices_json(self.choices)

    def to_json(self) -> dict[str, Any]:
        # (not super(): slots=True rebuilds the class, which zero-argument super() misses)
        data = Payload.to_json(self)
        if self.encrypted is None:
            del data["encrypted"]
            data["choices"] = _choices_json(self.choices)
        else:
            del data["choices"]
        return data


@dataclass(frozen=True, slots=True)
class Ballot(AnyBallot):
    """A voter's ballot, signed on the phone by its device key ``key`` for ``head``."""

    kind: ClassVar[str] = kinds.BALLOT
    key: str


@dataclass(frozen=True, slots=True)
class PaperBallot(AnyBallot):
    """A paper ballot entered and signed by a committee member, with the scan's SHA-256.

    ``voter``: the pseudonym of the co-owner who signed the paper ballot, when the member
    named one (the co-owner rule: only the unit's representative votes for it); absent
    from the signed payload when ``None``.
    """

    kind: ClassVar[str] = kinds.PAPER_BALLOT
    official: str
    scan_sha256: str
    voter: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = AnyBallot.to_json(self)
        if self.voter is None:
            del data["voter"]
        return data


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
    """``head``'s unit was sold at ``transferred_at`` (Unix ms) to ``buyer`` (pseudonym).

    ``unit``: which unit, when ``head`` counts several units as one owner (the head is
    split, :mod:`voting.sales`); ``buyer_head``: with ``unit``, the head of the frozen
    roster the buyer already is (the unit joins it).  Both are absent from the signed
    payload when ``None``.
    """

    kind: ClassVar[str] = kinds.UNIT_TRANSFERRED
    head: str
    buyer: str
    transferred_at: int
    official: str
    nonce: str
    evidence_sha256: str
    unit: str | None = None
    buyer_head: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = Payload.to_json(self)
        for name in ("unit", "buyer_head"):
            if data[name] is None:
                del data[name]
        return data


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


def sealed_choices(encrypted: Mapping[str, Any]) -> Choices:
    """A secret ballot's items, each :data:`SEALED_CHOICE`."""
    return Choices(dict.fromkeys(encrypted, SEALED_CHOICE))


def ballot_choices(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    """A ballot payload's (raw JSON) choices, or for a secret one its sealed items."""
    if "encrypted" in payload:
        return sealed_choices(payload["encrypted"])
    choices: Mapping[str, Any] = payload["choices"]
    return choices


def typed(kind: str, payload: Mapping[str, Any]) -> AnyPayload:
    """The typed form of a payload whose shape was checked (:func:`ledger.entries.check_body`).

    Raises ``KeyError`` for a kind that carries no signed payload.
    """
    fields = dict(payload)
    if "choices" in fields:
        fields["choices"] = _choices(fields["choices"])
    elif "encrypted" in fields:  # a secret ballot: no choices in clear
        fields["choices"] = sealed_choices(fields["encrypted"])
    return _CLASSES[kind](**fields)
