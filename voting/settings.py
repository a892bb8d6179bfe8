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


class RevotePolicy(StrEnum):
    """May an owner change a ballot on an item before the vote closes?"""

    NONE = "none"  # Beijing: vote once
    ONCE = "once"  # Wuhan: may change once
    UNTIL_CLOSE = "until_close"  # Helios/Belenios: change freely, the last counts


class Precedence(StrEnum):
    """Which ballot counts when the same owner votes on paper and electronically on an item."""

    FIRST_CAST = "first_cast"  # the first one stands, the second is refused
    PAPER = "paper"  # a paper ballot replaces an electronic one; not the other way
    ELECTRONIC = "electronic"  # an electronic ballot replaces a paper one; not the other way


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
        for name in ("count_parking", "non_voters_join_majority", "extraordinary"):
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

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types; ``scope_buildings`` as a sorted list or ``None``."""
        return {
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
