"""Per-assembly settings: every point the law leaves to the assembly rules (*choice*).

Each field has the default docs/law.md gives (or, where it gives none, the
product's documented default), is validated when the object is built and
round-trips through :meth:`AssemblySettings.to_dict` /
:meth:`AssemblySettings.from_dict` (plain JSON types, stored in
``assembly.settings`` and published in the audit bundle).

Settings are frozen for an assembly once its notice is published: changing
how votes count after owners have seen the notice would change the vote.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

from voting.errors import SettingsError

#: Regular notice period (物业管理条例 第14条): 15 days.
REGULAR_NOTICE_DAYS = 15
#: Shortest notice some cities allow for an extraordinary meeting (临时会议).
EXTRAORDINARY_NOTICE_DAYS = 7
#: Days after the close within which the result is announced (北京市住宅区业主大会和业主委员会
#: 指导规则: 3 days).
ANNOUNCE_WITHIN_DAYS = 3


class RevotePolicy(StrEnum):
    """May an owner change a ballot on an item before the vote closes?"""

    NONE = "none"  # Beijing: vote once
    ONCE = "once"  # Wuhan: may change once
    UNTIL_CLOSE = "until_close"  # Helios/Belenios: change freely, the last counts


class Ranking(StrEnum):
    """How qualified candidates are ordered when more qualify than there are seats."""

    HEADS_THEN_AREA = "heads_then_area"  # approving owners first, then approving area
    AREA_THEN_HEADS = "area_then_heads"  # approving area first, then approving owners


#: 指导规则 art. 31: the committee has 5 to 11 members, an odd number.
COMMITTEE_SIZES = (5, 7, 9, 11)

#: Settings added after the first assemblies were published: :meth:`AssemblySettings.to_dict`
#: writes them only when they differ from their default, so an assembly published before
#: they existed keeps its bytes (its signed definition and its result verify unchanged).
_WRITTEN_WHEN_SET = ("committee_size", "ranking", "competitive_elections")


class BallotSecrecy(StrEnum):
    """Whether ballots are kept in clear (today's written consultation) or encrypted."""

    OPEN = "open"  # the choices are in the signed ballot, in clear
    SECRET = "secret"  # encrypted to the trustees' joint key (docs/secret-ballots.md)


#: The most trustees a secret assembly may name (docs/secret-ballots.md §7).
MAX_TRUSTEES = 64


def default_threshold(trustees: int) -> int:
    """The default threshold: a majority of the trustees (⌊n/2⌋ + 1)."""
    return trustees // 2 + 1


class Precedence(StrEnum):
    """Which ballot counts when the same owner votes on paper and electronically on an item."""

    FIRST_CAST = "first_cast"  # the first one stands, the second is refused
    PAPER = "paper"  # a paper ballot replaces an electronic one; not the other way
    ELECTRONIC = "electronic"  # an electronic ballot replaces a paper one; not the other way


#: Settings added after the first ledgers were written, with their defaults: written by
#: :meth:`AssemblySettings.to_dict` only when they differ from the default.
LATER_SETTINGS: dict[str, Any] = {"announce_within_days": ANNOUNCE_WITHIN_DAYS,
                                   "ballot_secrecy": BallotSecrecy.OPEN.value,
                                   "trustees": None, "threshold": None}


@dataclass(frozen=True)
class AssemblySettings:
    """The counting and procedure choices of one assembly (see docs/rules.md).

    * ``scope_buildings`` — ``None`` for the whole community, or the buildings
      whose owners vote (denominators are that scope's totals).
    * ``count_parking`` — whether parking spaces and storage units (车位、摊位)
      count; when not, they are left out entirely: no area, no head.
    * ``revote`` — see :class:`RevotePolicy`.
    * ``precedence`` — see :class:`Precedence`.
    * ``proxy_cap`` — most owners (heads) one agent may represent; 0 forbids
      proxies, ``None`` sets no cap.
    * ``non_voters_join_majority`` — 从众 (指导规则 art. 26); never toward quorum.
    * ``notice_days`` — days between notice and opening; 15, or as little as 7
      when ``extraordinary`` is set.
    * ``objection_days`` — days the preliminary result is posted for objections.
    * ``committee_size`` — the number of committee members the assembly rules fix
      (指导规则 art. 31: 5–11, odd), or ``None`` when they fix none here; an election
      item may not fill more seats than that.
    * ``ranking`` — see :class:`Ranking` (the assembly rules decide the order).
    * ``competitive_elections`` — 差额选举: an election item must list more candidates
      than it has seats.
    * ``announce_within_days`` — days after the close of voting by which the result must
      be announced (the committee is warned, and the supervisor sees it when overdue).
    * ``ballot_secrecy`` — see :class:`BallotSecrecy` (docs/rules.md §13).
    * ``trustees`` — a secret assembly's number of trustees ``n`` (2…64), who hold the
      key's shares; ``None`` in an open one.
    * ``threshold`` — how many trustees together decrypt the totals (``k``, 1…n; a
      majority of ``n`` unless set); ``None`` in an open one.
    """

    scope_buildings: frozenset[str] | None = None
    count_parking: bool = False
    revote: RevotePolicy = RevotePolicy.UNTIL_CLOSE
    precedence: Precedence = Precedence.FIRST_CAST
    proxy_cap: int | None = 3
    non_voters_join_majority: bool = False
    notice_days: int = REGULAR_NOTICE_DAYS
    extraordinary: bool = False
    objection_days: int = 7
    committee_size: int | None = None
    ranking: Ranking = Ranking.HEADS_THEN_AREA
    competitive_elections: bool = False
    announce_within_days: int = ANNOUNCE_WITHIN_DAYS
    ballot_secrecy: BallotSecrecy = BallotSecrecy.OPEN
    trustees: int | None = None
    threshold: int | None = None

    def __post_init__(self) -> None:
        scope = self.scope_buildings
        if scope is not None:
            if isinstance(scope, str) or not isinstance(scope, Iterable):
                raise SettingsError("scope_buildings: must be a list of building names or null")
            scope = frozenset(scope)
            for name in scope:
                if not isinstance(name, str) or not name:
                    raise SettingsError(
                        f"scope_buildings: building names must be non-empty strings, got {name!r}"
                    )
            if not scope:
                raise SettingsError("scope_buildings: an empty list would leave nobody to vote")
            object.__setattr__(self, "scope_buildings", scope)
        for name in ("count_parking", "non_voters_join_majority", "extraordinary",
                     "competitive_elections"):
            if not isinstance(getattr(self, name), bool):
                raise SettingsError(f"{name}: must be true or false, got {getattr(self, name)!r}")
        object.__setattr__(self, "revote", _enum(RevotePolicy, self.revote, "revote"))
        object.__setattr__(self, "precedence", _enum(Precedence, self.precedence, "precedence"))
        if self.proxy_cap is not None:
            _int(self.proxy_cap, "proxy_cap", 0, 1000)
        _int(self.notice_days, "notice_days", EXTRAORDINARY_NOTICE_DAYS, 365)
        if self.notice_days < REGULAR_NOTICE_DAYS and not self.extraordinary:
            raise SettingsError(
                f"notice_days: {self.notice_days} is shorter than the {REGULAR_NOTICE_DAYS} days "
                "物业管理条例 第14条 requires; only an extraordinary meeting "
                f"(extraordinary: true) may use {EXTRAORDINARY_NOTICE_DAYS} to "
                f"{REGULAR_NOTICE_DAYS - 1} days"
            )
        _int(self.objection_days, "objection_days", 0, 365)
        object.__setattr__(self, "ranking", _enum(Ranking, self.ranking, "ranking"))
        if self.committee_size is not None:
            _int(self.committee_size, "committee_size", 0, 1000)
            if self.committee_size not in COMMITTEE_SIZES:
                raise SettingsError(
                    f"committee_size: {self.committee_size} is not an odd number from 5 to 11 "
                    "(业主大会和业主委员会指导规则 第31条)"
                )
        _int(self.announce_within_days, "announce_within_days", 1, 30)
        self._check_secrecy()

    def _check_secrecy(self) -> None:
        secrecy = _enum(BallotSecrecy, self.ballot_secrecy, "ballot_secrecy")
        object.__setattr__(self, "ballot_secrecy", secrecy)
        if secrecy is BallotSecrecy.OPEN:
            for name in ("trustees", "threshold"):
                if getattr(self, name) is not None:
                    raise SettingsError(f"{name}: only a secret assembly (ballot_secrecy: "
                                        "secret) has trustees")
            return
        if self.trustees is None:
            raise SettingsError("trustees: a secret assembly names its number of trustees "
                                f"(2 to {MAX_TRUSTEES})")
        _int(self.trustees, "trustees", 2, MAX_TRUSTEES)
        if self.threshold is None:
            object.__setattr__(self, "threshold", default_threshold(self.trustees))
        _int(self.threshold, "threshold", 1, self.trustees)

    @property
    def secret(self) -> bool:
        """Are the ballots encrypted (``ballot_secrecy: secret``)?"""
        return self.ballot_secrecy is BallotSecrecy.SECRET

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types; ``scope_buildings`` as a sorted list or ``None``.

        Settings added after the first ledgers were written — the election settings
        (``_WRITTEN_WHEN_SET``) and :data:`LATER_SETTINGS` — appear only when they differ
        from their default: a ledger, a bundle or a published result written before them
        stays byte for byte what it was (and verifies), and reading a missing one gives its
        default."""
        data: dict[str, Any] = {
            "scope_buildings": None
            if self.scope_buildings is None
            else sorted(self.scope_buildings),
            "count_parking": self.count_parking,
            "revote": self.revote.value,
            "precedence": self.precedence.value,
            "proxy_cap": self.proxy_cap,
            "non_voters_join_majority": self.non_voters_join_majority,
            "notice_days": self.notice_days,
            "extraordinary": self.extraordinary,
            "objection_days": self.objection_days,
        }
        later: dict[str, Any] = {
            "committee_size": self.committee_size,
            "ranking": self.ranking.value,
            "competitive_elections": self.competitive_elections,
        }
        for name in _WRITTEN_WHEN_SET:
            if later[name] != _default_json(name):
                data[name] = later[name]
        for name, default in LATER_SETTINGS.items():
            value = getattr(self, name)
            value = value.value if isinstance(value, StrEnum) else value
            if value != default:
                data[name] = value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "settings") -> AssemblySettings:
        """Build from :meth:`to_dict` output; missing keys take their defaults.

        Unknown keys are refused (a misspelt setting silently falling back to
        its default would change the count).
        """
        if not isinstance(data, Mapping):
            raise SettingsError(f"{where}: must be an object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        for key in data:
            if key not in known:
                raise SettingsError(f'{where}: unknown setting "{key}"')
        try:
            return cls(**dict(data))
        except SettingsError as exc:
            raise SettingsError(f"{where}.{exc}") from None


def _default_json(name: str) -> Any:
    value = next(f.default for f in fields(AssemblySettings) if f.name == name)
    return value.value if isinstance(value, StrEnum) else value


def _enum(kind: type[StrEnum], value: Any, name: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise SettingsError(f'{name}: "{value}" is not one of {allowed}') from None


def _int(value: Any, name: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingsError(f"{name}: must be an integer, got {value!r}")
    if not low <= value <= high:
        raise SettingsError(f"{name}: {value} is outside {low}..{high}")


DEFAULT_SETTINGS = AssemblySettings()
