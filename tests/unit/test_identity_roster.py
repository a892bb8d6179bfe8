"""The canonical roster encoding, its digest, and roster diffs (pure property tests)."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from identity import vocab
from identity.diff import diff
from identity.roster import RosterUnit, decode, digest, encode, summarise

areas = st.one_of(st.none(), st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"),
                                         places=2))
refs = st.frozensets(st.text("0123456789abcdef", min_size=32, max_size=32), max_size=3)
units = st.builds(
    RosterUnit, st.sampled_from(["1幢", "2幢", "车库", 'A"\\栋']), st.text(min_size=1, max_size=5),
    st.sampled_from(["registered", "delivered", "unsold", "sold_undelivered"]),
    st.sampled_from(sorted(set(vocab.USAGES.values()))), areas, areas, areas,
    st.sampled_from(["sole", "joint", "shares"]), refs,
).filter(lambda u: any(a is not None for a in (u.registered_area, u.surveyed_area,
                                               u.contract_area)))
rosters = st.lists(units, max_size=12, unique_by=lambda u: (u.building, u.number))


@given(rosters)
def test_encoding_round_trips_and_ignores_order(roster) -> None:
    data = encode(roster)
    assert data.startswith(b"ownervote-roster/1\n")
    assert sorted(decode(data)) == sorted(roster)
    assert encode(reversed(roster)) == data
    assert digest(roster) == hashlib.sha256(data).hexdigest()


@given(rosters.filter(bool), st.data())
def test_any_change_changes_the_digest_and_shows_in_the_diff(roster, data) -> None:
    index = data.draw(st.integers(0, len(roster) - 1))
    field = data.draw(st.sampled_from(["status", "usage", "co_ownership", "owners",
                                       "contract_area"]))
    unit = roster[index]
    new_value = {
        "status": "registered" if unit.status != "registered" else "delivered",
        "usage": "office" if unit.usage != "office" else "parking",
        "co_ownership": "joint" if unit.co_ownership != "joint" else "sole",
        "owners": unit.owners ^ {"f" * 32},
        "contract_area": (unit.contract_area or Decimal("1.00")) + Decimal("0.01"),
    }[field]
    changed = list(roster)
    changed[index] = unit._replace(**{field: new_value})
    assert digest(changed) != digest(roster)
    d = diff(roster, changed)
    assert [(c.label, c.fields) for c in d.units_changed] == [(unit.label, (field,))]
    assert diff(roster, roster).empty


@given(rosters, rosters)
def test_diff_added_and_removed_are_set_differences(a, b) -> None:
    d = diff(a, b)
    keys_a = {u.label for u in a}
    keys_b = {u.label for u in b}
    assert set(d.units_added) == keys_b - keys_a
    assert set(d.units_removed) == keys_a - keys_b
    owners_a = {o for u in a for o in u.owners}
    owners_b = {o for u in b for o in u.owners}
    assert (d.owners_added, d.owners_removed) == (len(owners_b - owners_a),
                                                  len(owners_a - owners_b))


def test_decode_refuses_non_canonical_input() -> None:
    unit = RosterUnit("1幢", "101", "registered", "residential", Decimal("89.30"), None, None,
                      "sole", frozenset({"a" * 32}))
    data = encode([unit])
    assert b'"89.30"' in data
    with pytest.raises(ValueError):
        decode(data.replace(b'"89.30"', b'"89.3"'))
    with pytest.raises(ValueError):
        decode(data.replace(b",", b", "))
    with pytest.raises(ValueError):
        decode(b"other/1\n")


def test_summary_of_an_all_parking_roster_has_no_heads() -> None:
    space = RosterUnit("车库", "B1", "registered", "parking", Decimal("12.00"), None, None,
                       "sole", frozenset({"a" * 32}))
    s = summarise([space])
    assert (s.heads, s.heads_with_parking, str(s.total_area)) == (0, 1, "12.00")
