"""Rosters for the voting rules' tests: units, single-unit rosters, votes keyed by head, one
motion decided, and hypothesis strategies for whole communities (``communities``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from hypothesis import strategies as st

from voting import (
    AssemblySettings,
    Choice,
    Item,
    Roster,
    Unit,
    build_roster,
    tally,
)
from voting.tally import AssemblyResult

AGREE, OPPOSE, ABSTAIN = Choice.AGREE, Choice.OPPOSE, Choice.ABSTAIN


def unit(
    unit_id: str,
    area: str,
    owners: Iterable[str] | None = None,
    **kwargs: object,
) -> Unit:
    """A unit owned by ``owners`` (default: an owner of its own, ``o-<unit id>``)."""
    return Unit(
        unit_id,
        frozenset([f"o-{unit_id}"] if owners is None else owners),
        Decimal(area),
        **kwargs,  # type: ignore[arg-type]
    )


def roster_of(areas: Mapping[str, str], settings: AssemblySettings | None = None) -> Roster:
    """One single-unit head per entry ``unit id -> area``."""
    return build_roster(
        [unit(unit_id, area) for unit_id, area in areas.items()],
        settings or AssemblySettings(),
    )


def vote_units(
    roster: Roster, item_id: str, choices: Mapping[str, object]
) -> dict[tuple[str, str], object]:
    """Votes keyed by head, from ``unit id -> vote``."""
    return {(roster.head_of_unit[unit_id], item_id): vote for unit_id, vote in choices.items()}


def decide(
    areas: Mapping[str, str],
    choices: Mapping[str, object],
    matter: object = "ordinary",
    settings: AssemblySettings | None = None,
) -> AssemblyResult:
    """Tally one motion "m" over single-unit heads."""
    settings = settings or AssemblySettings()
    roster = roster_of(areas, settings)
    return tally(roster, [Item.motion("m", matter)], vote_units(roster, "m", choices), settings)


# -- hypothesis strategies ---------------------------------------------------------

areas_st = st.integers(min_value=1, max_value=500_000).map(lambda n: Decimal(n).scaleb(-2))
choices_st = st.sampled_from([AGREE, OPPOSE, ABSTAIN])
USAGES = ["residential", "residential", "commercial", "parking"]


@st.composite
def communities(draw: st.DrawFn, max_units: int = 25) -> list[Unit]:
    """Units with a few shared owner sets (in any order), some developer-held, some parking."""
    count = draw(st.integers(min_value=1, max_value=max_units))
    owner_pool = [f"p{index}" for index in range(draw(st.integers(1, count + 2)))]
    units = []
    for index in range(count):
        developer = draw(st.booleans()) and draw(st.booleans())
        owners = draw(st.lists(st.sampled_from(owner_pool), min_size=1, max_size=3, unique=True))
        units.append(
            Unit(
                f"{index // 10 + 1}-{index:03d}",
                frozenset(owners),
                draw(areas_st),
                building=str(index // 10 + 1),
                usage=draw(st.sampled_from(USAGES)),
                developer_held=developer,
            )
        )
    return units
