"""The synthetic extracts used by the demo and the benchmark."""

from __future__ import annotations

from collections import Counter

from identity.parsing import parse_bytes, parse_rows
from identity.synthetic import demo_extract, large_extract, to_csv, to_json
from identity.validation import validate_rows


def test_demo_extract_is_deterministic_valid_and_varied() -> None:
    rows = demo_extract(5)
    assert rows == demo_extract(5) and rows != demo_extract(6)
    extract = validate_rows(parse_rows(rows).rows)
    assert 280 <= len(extract.units) <= 320
    units = extract.units
    status = Counter(u.status for u in units)
    assert all(status[s] > 0 for s in ("registered", "delivered", "unsold", "sold_undelivered"))
    developer = [u for u in units if u.status in ("unsold", "sold_undelivered")]
    assert any(u.owners for u in developer) and any(not u.owners for u in developer)
    assert any(len(u.owners) > 1 for u in units)  # co-owned
    assert any(u.registered_area is None and u.surveyed_area is None for u in units)
    assert any(u.registered_area is None and u.surveyed_area is not None for u in units)
    assert {u.usage for u in units} >= {"residential", "commercial", "parking", "storage"}
    holdings = Counter(k for u in units for k in u.owners)
    assert max(holdings.values()) >= 2  # owners of several units
    ids = [r["id_number"] for r in rows if r["id_type"] == "居民身份证"]
    assert sum(i.startswith("350881") for i in ids) > len(ids) / 3  # mostly 漳平市


def test_writers_round_trip_through_the_parser() -> None:
    rows = demo_extract(1)[:30]
    for data in (to_csv(rows).encode(), to_csv(rows, chinese=True).encode("gb18030"),
                 to_json(rows, chinese=True).encode("utf-8-sig")):
        assert [dict(r.values) for r in parse_bytes(data).rows] == rows


def test_large_extract_has_exactly_the_rows_asked_for() -> None:
    for n in (1, 1000, 2345):
        rows = large_extract(n, seed=3)
        assert len(rows) == n
        validate_rows(parse_rows(rows).rows)
