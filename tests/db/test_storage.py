"""The schema: migrations match the models and exact types round-trip on both backends."""

from __future__ import annotations

from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from identity.store.models import Building, Community, RosterVersion, Unit, UnitRecord
from ownervote.db import AreaType
from ownervote.models import metadata


def test_migrations_match_models(engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), metadata
        )
    assert diff == [], f"models differ from migrations; generate a new revision: {diff}"


def test_area_round_trips_exactly(session) -> None:
    c = Community(name="测试小区", city="漳平市")
    b = Building(community=c, name="1幢")
    session.add_all([c, b])
    session.flush()
    u = Unit(building=b, community_id=c.id, number="101")
    session.add(u)
    session.flush()
    rv = RosterVersion(community_id=c.id, version=1, digest="0" * 64)
    session.add(rv)
    session.flush()
    rec = UnitRecord(
        roster_version_id=rv.id,
        unit_id=u.id,
        status="registered",
        usage="residential",
        registered_area=Decimal("89.37"),
        surveyed_area=Decimal("0.01"),
        contract_area=Decimal("123456789.99"),
    )
    session.add(rec)
    session.commit()
    session.expire_all()
    got = session.scalars(select(UnitRecord)).one()
    assert (got.registered_area, got.surveyed_area, got.contract_area) == (
        Decimal("89.37"),
        Decimal("0.01"),
        Decimal("123456789.99"),
    )
    assert isinstance(got.registered_area, Decimal)


@settings(max_examples=200)
@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_area_type_is_exact(value: Decimal) -> None:
    t = AreaType()
    assert t.process_result_value(t.process_bind_param(value, None), None) == value


def test_area_type_refuses_float_and_extra_places() -> None:
    t = AreaType()
    with pytest.raises(TypeError):
        t.process_bind_param(89.37, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="two decimal places"):
        t.process_bind_param(Decimal("89.375"), None)
