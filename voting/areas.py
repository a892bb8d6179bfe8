"""Exclusive areas (专有部分面积): exact parsing, precedence of sources, measures.

Registry extracts give areas in square metres with two decimal places.  The
engine keeps them as :class:`~decimal.Decimal` at the edges and as integer
*hundredths of a square metre* inside, so that every threshold comparison is
an exact integer comparison (docs/law.md: "never floats").

A unit's area comes from the first source that has one (SPC interpretation
art. 8): the real-estate register (不动产登记簿), else the surveyed area
(测绘实测面积), else the sales-contract area (合同面积).  The source is kept
with the figure because committees must be able to say where each number came
from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, NamedTuple

from voting.errors import AreaError

#: The smallest area step: one hundredth of a square metre.
QUANTUM = Decimal("0.01")

_AREA_TEXT = re.compile(r"(-?)([0-9]+)(?:\.[0-9]+)?")

#: The most digits before the decimal point of one unit's area: 999 999 999.99 m² is more
#: than any real unit, and the bound keeps every total far inside the exact decimal range
#: (28 digits) however many units a roster holds.
MAX_AREA_DIGITS = 9


class AreaSource(StrEnum):
    """Where a unit's area figure came from, in order of precedence (SPC art. 8)."""

    REGISTERED = "registered"  # 不动产登记簿
    SURVEYED = "surveyed"  # 测绘实测面积
    CONTRACT = "contract"  # 房屋买卖合同


#: Precedence of area sources, first wins.
AREA_PRECEDENCE: tuple[AreaSource, ...] = (
    AreaSource.REGISTERED,
    AreaSource.SURVEYED,
    AreaSource.CONTRACT,
)


def to_hundredths(area: Decimal, where: str = "area") -> int:
    """Return ``area`` as an integer number of hundredths of a square metre.

    Refuses floats, non-finite values and values with a non-zero third decimal:
    an area like 89.505 is not a registry figure and silently rounding it
    would change who wins a close vote.  Exact whatever the number of digits (no
    decimal context is involved, so nothing beyond the 28th digit is rounded away).
    """
    if not isinstance(area, Decimal):
        raise AreaError(f"{where}: area must be a Decimal, got {type(area).__name__}")
    if not area.is_finite():
        raise AreaError(f"{where}: area {area} is not a finite number")
    sign, digits, exponent = area.as_tuple()
    assert isinstance(exponent, int)  # a finite Decimal's exponent
    if exponent < -2:
        kept, dropped = digits[: exponent + 2], digits[exponent + 2:]
        if any(dropped):
            shown = str(area) if len(digits) <= 40 else f"with {len(digits)} digits"
            raise AreaError(f"{where}: area {shown} has more than two decimal places")
        digits, exponent = kept, -2
    hundredths: int = 0
    for digit in digits:
        hundredths = hundredths * 10 + int(digit)
    hundredths *= 10 ** int(exponent + 2)
    return -hundredths if sign else hundredths


def from_hundredths(hundredths: int) -> Decimal:
    """Return the exact two-place Decimal for an integer number of hundredths."""
    return Decimal(hundredths).scaleb(-2)


def format_area(area: Decimal | int) -> str:
    """Format an area (Decimal, or int hundredths) as an exact two-place string."""
    if isinstance(area, int):
        area = from_hundredths(area)
    return str(area.quantize(QUANTUM))


def parse_area(text: Any, where: str = "area") -> Decimal:
    """Parse a decimal *string* like ``"89.50"`` into a positive two-place Decimal.

    Only plain digits with an optional fraction are accepted (no exponent, no JSON
    number): a negative, zero or too large area (:data:`MAX_AREA_DIGITS`), or one with
    more than two significant decimal places, is an error naming ``where``, e.g.
    ``registered_area -5 is negative``.
    """
    if not isinstance(text, str):
        raise AreaError(
            f'{where}: area must be a decimal string like "89.50", got {type(text).__name__}'
        )
    shown = text if len(text) <= 40 else f"{text[:20]}…({len(text)} characters)"
    match = _AREA_TEXT.fullmatch(text)
    if match is None:
        raise AreaError(f'{where}: "{shown}" is not a decimal area like "89.50"')
    if match.group(1):
        raise AreaError(f"{where} {shown} is negative")
    if len(match.group(2).lstrip("0")) > MAX_AREA_DIGITS:
        raise AreaError(f"{where} {shown} is larger than any unit "
                        f"(at most {MAX_AREA_DIGITS} digits before the decimal point)")
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern already excludes this
        raise AreaError(f'{where}: "{shown}" is not a decimal area') from None
    hundredths = to_hundredths(value, where)
    if hundredths <= 0:
        raise AreaError(f"{where} {shown} must be positive")
    return from_hundredths(hundredths)


def pick_area(
    registered: Decimal | None,
    surveyed: Decimal | None,
    contract: Decimal | None,
    where: str = "unit",
) -> tuple[Decimal, AreaSource]:
    """Choose a unit's area by precedence registered → surveyed → contract.

    Returns the figure (normalised to two places) and its source.  Raises
    :class:`AreaError` when no source gives an area or the chosen one is not
    positive.
    """
    for value, source in zip((registered, surveyed, contract), AREA_PRECEDENCE, strict=True):
        if value is None:
            continue
        hundredths = to_hundredths(value, f"{where}.{source.value}_area")
        if hundredths <= 0:
            raise AreaError(f"{where}.{source.value}_area: area {value} must be positive")
        return from_hundredths(hundredths), source
    raise AreaError(f"{where}: no registered, surveyed or contract area")


@dataclass(frozen=True, slots=True)
class Measure:
    """An (area, headcount) pair: the two dimensions every threshold is tested on."""

    area: Decimal
    heads: int

    @classmethod
    def of(cls, hundredths: int, heads: int) -> Measure:
        """Build from integer hundredths of a square metre and a headcount."""
        return cls(from_hundredths(hundredths), heads)

    @property
    def hundredths(self) -> int:
        return to_hundredths(self.area)

    def to_json(self) -> dict[str, str | int]:
        """``{"area": "123.45", "heads": 3}`` with the area as an exact string."""
        return {"area": format_area(self.area), "heads": self.heads}


ZERO = Measure(Decimal("0.00"), 0)


class Count(NamedTuple):
    """Heads and their exclusive area as a tally sums them: the area in integer hundredths of
    a square metre (every threshold is an integer comparison on these), the heads counted.

    A tuple ``(area, heads)``, so it goes wherever such a pair is taken
    (:func:`voting.needs.needs`, :func:`voting.election.elect`)."""

    area: int
    heads: int

    def plus(self, other: Count) -> Count:
        return Count(self.area + other.area, self.heads + other.heads)

    def minus(self, other: Count) -> Count:
        return Count(self.area - other.area, self.heads - other.heads)

    def measure(self) -> Measure:
        """The same figure for reporting (the area as an exact two-place Decimal)."""
        return Measure.of(self.area, self.heads)


NONE = Count(0, 0)
