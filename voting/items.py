"""Agenda items (表决事项): motions and committee elections, with their scope.

An item is decided on its own: its own quorum, its own threshold, and — for a
matter that concerns only some buildings, e.g. one building's lift — its own
scope, whose totals are the denominators (Shanghai 2020 art. 69).

An item knows its *threshold* (ordinary / special).  When its Civil Code
art. 278 *matter* (1–9) is known, the threshold follows from it and a
contradicting one is refused: the assembly cannot vote a rebuild (matter 7)
by simple majority.

An election (选举业主委员会) is always matter 3, an ordinary matter: each
owner may approve up to ``seats`` candidates; see :mod:`voting.election`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from voting.errors import ItemError
from voting.matters import Matter, Threshold
from voting.text import require_visible, same_text_key
from voting.textlimits import TextField, check_length


class ItemKind(StrEnum):
    MOTION = "motion"  # agree / oppose / abstain
    ELECTION = "election"  # approve up to ``seats`` candidates


@dataclass(frozen=True)
class Item:
    """One agenda item.  Build with :meth:`motion` or :meth:`election`.

    ``buildings`` is ``None`` when the item concerns the whole assembly, or the
    set of buildings whose owners decide it.
    """

    item_id: str
    threshold: Threshold
    matter: Matter | None = None
    kind: ItemKind = ItemKind.MOTION
    buildings: frozenset[str] | None = None
    candidates: tuple[str, ...] = ()
    seats: int = 0
    candidate_set: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        where = f'item "{self.item_id}"'
        if not isinstance(self.item_id, str) or not self.item_id:
            raise ItemError(f"item id must be a non-empty string, got {self.item_id!r}")
        try:
            object.__setattr__(self, "threshold", Threshold(self.threshold))
        except ValueError:
            raise ItemError(
                f'{where}: threshold "{self.threshold}" is not ordinary or special'
            ) from None
        if self.matter is not None:
            matter = Matter.parse(self.matter, f"{where}.matter")
            object.__setattr__(self, "matter", matter)
            if matter.threshold is not self.threshold:
                raise ItemError(
                    f"{where}: matter {int(matter)} ({matter.zh}) is a {matter.threshold.value} "
                    f"matter, not {self.threshold.value}"
                )
        object.__setattr__(self, "kind", ItemKind(self.kind))
        if self.buildings is not None:
            buildings = frozenset(self.buildings)
            if not buildings or not all(isinstance(b, str) and b for b in buildings):
                raise ItemError(f"{where}: buildings must be a non-empty list of building names")
            object.__setattr__(self, "buildings", buildings)
        if self.kind is ItemKind.ELECTION:
            object.__setattr__(self, "candidates", tuple(self.candidates))
            self._check_election(where)
        elif self.candidates or self.seats:
            raise ItemError(f"{where}: only an election item has candidates and seats")
        else:
            object.__setattr__(self, "candidate_set", frozenset())

    def _check_election(self, where: str) -> None:
        if self.matter is not Matter.COMMITTEE:
            raise ItemError(f"{where}: an election is matter 3 (选举业主委员会)")
        if not self.candidates:
            raise ItemError(f"{where}: an election needs at least one candidate")
        seen: set[str] = set()
        for candidate in self.candidates:
            if not isinstance(candidate, str) or not candidate:
                raise ItemError(f"{where}: candidate ids must be non-empty strings")
            key = same_text_key(candidate)  # 张三 and 张\u200b三, Ａ and A are one candidate
            if key in seen:
                raise ItemError(f'{where}: candidate "{candidate}" listed twice')
            seen.add(key)
        if isinstance(self.seats, bool) or not isinstance(self.seats, int) or self.seats < 1:
            raise ItemError(f"{where}: seats must be a positive integer, got {self.seats!r}")
        object.__setattr__(self, "candidate_set", frozenset(self.candidates))

    @classmethod
    def motion(
        cls,
        item_id: str,
        matter: Matter | int | Threshold | str,
        buildings: Iterable[str] | None = None,
    ) -> Item:
        """A yes/no item: ``matter`` is a Civil Code matter 1–9 or a bare threshold."""
        scope = None if buildings is None else frozenset(buildings)
        if isinstance(matter, int) and not isinstance(matter, bool):
            parsed = Matter.parse(matter, f'item "{item_id}".matter')
            return cls(item_id, parsed.threshold, parsed, ItemKind.MOTION, scope)
        # a threshold's name as given: __post_init__ converts it, or refuses it (ItemError)
        # after the item id, as for any field; the field's type is what it holds after
        return cls(item_id, matter, None, ItemKind.MOTION, scope)  # type: ignore[arg-type]

    @classmethod
    def election(
        cls,
        item_id: str,
        candidates: Iterable[str],
        seats: int,
        buildings: Iterable[str] | None = None,
    ) -> Item:
        """An election of ``seats`` committee members among ``candidates`` (matter 3)."""
        scope = None if buildings is None else frozenset(buildings)
        return cls(
            item_id,
            Threshold.ORDINARY,
            Matter.COMMITTEE,
            ItemKind.ELECTION,
            scope,
            tuple(candidates),
            seats,
        )

    @property
    def is_election(self) -> bool:
        return self.kind is ItemKind.ELECTION


def index_items(items: Iterable[Item]) -> dict[str, Item]:
    """Map items by id, refusing duplicates (two items with one id would share votes)."""
    indexed: dict[str, Item] = {}
    for item in items:
        if not isinstance(item, Item):
            raise ItemError(f"expected an Item, got {type(item).__name__}")
        if item.item_id in indexed:
            raise ItemError(f'item "{item.item_id}": listed twice')
        indexed[item.item_id] = item
    return indexed


@dataclass(frozen=True)
class ItemSpec:
    """One agenda item as the committee writes it."""

    title: str
    matter: int
    description: str = ""
    kind: str = "motion"  # motion | election
    seats: int | None = None
    candidates: Sequence[str] = field(default_factory=tuple)
    scope_buildings: Sequence[str] | None = None

    def check(self, position: int) -> None:
        where = f"item {position}"
        try:
            Matter(self.matter)
        except ValueError:
            raise ItemError(
                f"{where}: matter must be 1-9 (Civil Code art. 278), not {self.matter!r}"
            ) from None
        if not self.title.strip():
            raise ItemError(f"{where}: the title is empty")
        require_visible(self.title, f"{where}: the title")
        check_length(TextField.ITEM_TITLE, self.title, where=where)
        check_length(TextField.ITEM_DESCRIPTION, self.description, where=where)
        for name in self.candidates:
            check_length(TextField.CANDIDATE_NAME, name, where=where)
        if self.kind not in ("motion", "election"):
            raise ItemError(f"{where}: kind must be motion or election, not {self.kind!r}")
        if self.kind == "election":
            if self.matter != Matter.COMMITTEE:  # as Item and the notice's parser require
                raise ItemError(f"{where}: an election is matter 3 (选举业主委员会), "
                                f"not {self.matter!r}")
            for n, candidate in enumerate(self.candidates, 1):
                require_visible(candidate, f"{where}: candidate {n}")
            names = [same_text_key(c) for c in self.candidates]
            if not names or any(not c for c in names) or len(set(names)) != len(names):
                raise ItemError(f"{where}: an election needs distinct, non-empty candidate names")
            if not self.seats or not 1 <= self.seats <= len(names):
                raise ItemError(f"{where}: seats must be between 1 and the number of candidates")
