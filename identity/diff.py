"""What changed between two roster versions: units and owners added, removed, changed.

PII-free: units are named by their label (building-unit), owners only counted
(their references are pseudonyms).  A unit whose owner set changed is a
transfer (sale, inheritance, court ruling …) and is listed as such, because
a transfer during a vote follows its own rule (``identity.transfer``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from identity.roster import RosterUnit

_FIELDS = ("status", "usage", "registered_area", "surveyed_area", "contract_area",
           "co_ownership")


@dataclass(frozen=True)
class UnitChange:
    label: str
    fields: tuple[str, ...]  # changed facts; "owners" when the owner set changed
    owners_added: int = 0
    owners_removed: int = 0


@dataclass(frozen=True)
class RosterDiff:
    units_added: tuple[str, ...] = ()
    units_removed: tuple[str, ...] = ()
    units_changed: tuple[UnitChange, ...] = ()
    owners_added: int = 0  # owners in the new roster and not in the old one
    owners_removed: int = 0
    transfers: tuple[str, ...] = field(default=())  # labels of units whose owners changed

    @property
    def empty(self) -> bool:
        return not (self.units_added or self.units_removed or self.units_changed)

    def to_json(self) -> dict[str, object]:
        return {
            "units_added": list(self.units_added),
            "units_removed": list(self.units_removed),
            "units_changed": [{"unit": c.label, "fields": list(c.fields),
                               "owners_added": c.owners_added,
                               "owners_removed": c.owners_removed}
                              for c in self.units_changed],
            "owners_added": self.owners_added,
            "owners_removed": self.owners_removed,
            "transfers": list(self.transfers),
        }

    def lines(self, limit: int = 50) -> list[str]:
        """Human-readable lines for a terminal, at most ``limit`` unit lines."""
        out = [f"units: +{len(self.units_added)} -{len(self.units_removed)} "
               f"~{len(self.units_changed)}; owners: +{self.owners_added} "
               f"-{self.owners_removed}; transfers: {len(self.transfers)}"]
        detail = ([f"  + {label}" for label in self.units_added]
                  + [f"  - {label}" for label in self.units_removed]
                  + [f"  ~ {c.label}: {', '.join(c.fields)}" for c in self.units_changed])
        out += detail[:limit]
        if len(detail) > limit:
            out.append(f"  … and {len(detail) - limit} more")
        return out


def diff(old: Iterable[RosterUnit], new: Iterable[RosterUnit]) -> RosterDiff:
    before = {(u.building, u.number): u for u in old}
    after = {(u.building, u.number): u for u in new}
    added = sorted(after.keys() - before.keys())
    removed = sorted(before.keys() - after.keys())
    changed: list[UnitChange] = []
    for key in sorted(before.keys() & after.keys()):
        a, b = before[key], after[key]
        fields = [f for f in _FIELDS if getattr(a, f) != getattr(b, f)]
        if a.owners != b.owners:
            fields.append("owners")
        if fields:
            changed.append(UnitChange(b.label, tuple(fields), len(b.owners - a.owners),
                                      len(a.owners - b.owners)))
    old_owners = {o for u in before.values() for o in u.owners}
    new_owners = {o for u in after.values() for o in u.owners}
    return RosterDiff(
        units_added=tuple(after[k].label for k in added),
        units_removed=tuple(before[k].label for k in removed),
        units_changed=tuple(changed),
        owners_added=len(new_owners - old_owners),
        owners_removed=len(old_owners - new_owners),
        transfers=tuple(c.label for c in changed if "owners" in c.fields),
    )
