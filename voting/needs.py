"""What it takes: how many more owners and how much more area an item still needs.

For committees following a vote while it is open.  Definitions (all exact,
on integer hundredths and heads, per item, within the item's scope):

* **remaining** = the heads of the scope that have not taken part on this
  item yet, and their area.
* **quorum** = the least additional heads and the least additional area that
  must take part for ``3·P ≥ 2·T`` in each dimension:
  ``max(0, ⌈(2·T − 3·P) / 3⌉)``.
* **to pass** = the least additional heads and area that must take part *and
  agree* so that quorum *and* approval both hold, given the ballots cast so
  far (which are assumed not to change):
  ordinary ``x ≥ P − 2·A + 1``, special ``x ≥ 3·P − 4·A``, each dimension,
  then the larger of that and the quorum figure.
* **possible** is false when the figure exceeds what remains in either
  dimension: even if every remaining owner took part (and agreed) the item
  could not reach it.  Because taking all remaining owners maximises both
  dimensions at once, "possible" is exact, while the two figures are each a
  lower bound (the fewest heads, the least area; a real set of late voters
  must satisfy both).

Non-voters joining the majority (从众) is ignored here: the figures say what
the owners themselves must still do.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from voting.areas import format_area, from_hundredths
from voting.matters import Threshold, min_agreeing_to_approve, min_to_reach_quorum


@dataclass(frozen=True, slots=True)
class Need:
    """More area and more heads still needed; ``possible`` false if they cannot be found."""

    area: Decimal
    heads: int
    possible: bool

    @property
    def met(self) -> bool:
        return self.heads == 0 and self.area == 0

    def to_json(self) -> dict[str, str | int | bool]:
        return {"area": format_area(self.area), "heads": self.heads, "possible": self.possible}


@dataclass(frozen=True, slots=True)
class Needs:
    """The figures for one item (or one election candidate)."""

    quorum: Need
    to_pass: Need

    def to_json(self) -> dict[str, object]:
        return {"quorum": self.quorum.to_json(), "pass": self.to_pass.to_json()}


def needs(
    threshold: Threshold,
    total: tuple[int, int],
    participating: tuple[int, int],
    agree: tuple[int, int],
) -> Needs:
    """Figures for one item; each pair is (area in hundredths, heads)."""
    t_area, t_heads = total
    p_area, p_heads = participating
    a_area, a_heads = agree
    left_area = t_area - p_area
    left_heads = t_heads - p_heads
    q_area = min_to_reach_quorum(p_area, t_area)
    q_heads = min_to_reach_quorum(p_heads, t_heads)
    pass_area = max(q_area, min_agreeing_to_approve(threshold, a_area, p_area))
    pass_heads = max(q_heads, min_agreeing_to_approve(threshold, a_heads, p_heads))
    return Needs(
        Need(from_hundredths(q_area), q_heads, q_area <= left_area and q_heads <= left_heads),
        Need(
            from_hundredths(pass_area),
            pass_heads,
            pass_area <= left_area and pass_heads <= left_heads,
        ),
    )
