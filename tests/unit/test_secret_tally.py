"""The secret-mode tally (ledger.secret.tally) reaches the open tally's result, byte for byte.

Random communities, motions and elections, ballots on every channel with revotes, proxies,
co-owners and units sold during the vote are tallied in open mode (the tally file, counted
by voting.counting) and in secret mode (the same counting votes encrypted, summed
homomorphically by area and by head, decrypted by k trustees' shares, then
voting.tally.decide); docs/audit-bundle.md §10.2.1."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from ledger import canonical
from ledger.secret import tally as secret
from ledger.secret.errors import SecretTallyError
from ledger.secret.group import random_scalar
from ledger.secret.trustee_errors import CombineError
from tests.support.rosters import communities
from tests.support.secrettally import ORIGIN, encrypted_tally, trustees
from voting import AssemblySettings, Item, RosterError, build_roster
from voting.sales import participation_with_sales
from voting.tallyfile import TALLY_SETTINGS, item_to_json, parse, unit_to_json

START = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


@st.composite
def tally_files(draw: st.DrawFn) -> dict[str, Any]:
    """A tally file with motions and elections, every channel, revotes and sales."""
    units = draw(communities(max_units=14))
    config = AssemblySettings(
        count_parking=draw(st.booleans()),
        non_voters_join_majority=draw(st.booleans()),
        revote=draw(st.sampled_from(["none", "once", "until_close"])),
        precedence=draw(st.sampled_from(["first_cast", "paper", "electronic"])),
        proxy_cap=draw(st.sampled_from([None, 0, 1, 3])),
        ranking=draw(st.sampled_from(["heads_then_area", "area_then_heads"])),
    )
    try:
        roster = build_roster(units, config)
    except RosterError:
        assume(False)
    buildings = sorted({u.building for u in roster.units.values()})
    items = []
    for index in range(draw(st.integers(1, 3))):
        scope = draw(st.none() | st.sets(st.sampled_from(buildings), min_size=1))
        if draw(st.booleans()):
            candidates = [f"c{j}" for j in range(draw(st.integers(1, 4)))]
            seats = draw(st.integers(1, len(candidates)))
            items.append(Item.election(f"e{index}", candidates, seats, buildings=scope))
        else:
            matter = draw(st.sampled_from([1, 2, 4, 6, 7, "ordinary", "special"]))
            items.append(Item.motion(f"m{index}", matter, buildings=scope))
    counted = sorted(roster.units)
    owners = {u.unit_id: sorted(u.owners) for u in units}
    events: list[dict[str, Any]] = []
    transfers: list[dict[str, Any]] = []
    for minute in range(draw(st.integers(0, 30))):
        unit_id = draw(st.sampled_from(counted))
        time = (START + dt.timedelta(minutes=minute)).isoformat()
        if draw(st.integers(0, 15)) == 0 and not any(t["unit"] == unit_id for t in transfers):
            transfers.append({"unit": unit_id, "buyer": f"b{minute}", "time": time})
            continue
        item = draw(st.sampled_from(items))
        if item.buildings is not None and (
                roster.head_of_unit[unit_id] not in roster.scope(item.buildings)):
            continue
        channel = draw(st.sampled_from(["electronic", "electronic", "paper", "proxy"]))
        ballot: dict[str, Any] = {"unit": unit_id, "item": item.item_id, "channel": channel,
                                  "time": time}
        if item.is_election:
            if channel == "paper" and draw(st.integers(0, 4)) == 0:
                ballot["choice"] = "invalid"
            elif draw(st.integers(0, 5)) == 0:
                ballot["choice"] = "abstain"
            else:
                ballot["approve"] = draw(st.lists(st.sampled_from(item.candidates), unique=True,
                                                  max_size=item.seats))
        else:
            ballot["choice"] = draw(st.sampled_from(["agree", "agree", "oppose", "abstain"]))
        if channel == "proxy":
            ballot["agent"] = draw(st.sampled_from(["a1", "a2"]))
        sold = any(t["unit"] == unit_id for t in transfers)
        if draw(st.booleans()) and len(owners[unit_id]) > 1 and not sold:
            ballot["voter"] = owners[unit_id][0]
        events.append(ballot)
    return {
        "settings": {k: v for k, v in config.to_dict().items() if k in TALLY_SETTINGS},
        "units": [unit_to_json(u) for u in units],
        "items": [item_to_json(i) for i in items],
        "ballots": events,
        "transfers": transfers,
    }


SLOW = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@SLOW
@given(tally_files(), st.integers(2, 4), st.data())
def test_open_and_secret_mode_give_the_same_result(data, n, draw) -> None:
    parsed = parse(data)
    event(f"sales: {bool(parsed.sales)}, refused: {bool(parsed.refused)}, "
          f"elections: {any(i.is_election for i in parsed.items)}")
    k = draw.draw(st.integers(1, n))
    board = trustees(n, k)
    who = draw.draw(st.lists(st.sampled_from(board.indices), min_size=k, unique=True))
    heads = sorted({head for head, _item in parsed.votes})
    paper = frozenset(draw.draw(st.lists(st.sampled_from(heads), unique=True))) if heads \
        else frozenset()
    tally = encrypted_tally(board.key, parsed, paper)
    opened = parsed.tally()
    # the public half of stage (a): who took part, from the votes' keys alone
    parts = participation_with_sales(parsed.roster, parsed.items, parsed.votes, parsed.sales)
    assert [(t.measure(), p.measure()) for _i, t, p in parts] == [
        (r.total, r.participating) for r in opened.items]
    assert [(t.total, t.participating) for t in tally.items] == [(t, p) for _i, t, p in parts]
    assert tally.community == (opened.total.hundredths, opened.total.heads)
    mine = secret.result(parsed.items, parsed.settings, tally, board.combine(tally, who))
    assert canonical.encode(mine.to_json()) == canonical.encode(opened.to_json())
    if tally.totals:  # k - 1 trustees cannot decrypt
        with pytest.raises(CombineError, match=f"{k - 1} valid decryption"):
            board.combine(tally, who[:k - 1])


def _file() -> dict[str, Any]:
    units = [{"unit": f"1-{i}", "owners": [f"o{i}"], "registered_area": f"{80 + i}.25",
              "building": "1"} for i in range(6)]
    ballots = [{"unit": f"1-{i}", "item": "m", "choice": c}
               for i, c in enumerate(["agree", "agree", "oppose", "abstain", "agree"])]
    ballots += [{"unit": f"1-{i}", "item": "e", "approve": a}
                for i, a in enumerate([["x"], ["x", "y"], [], ["y"], ["z"]])]
    return {"units": units, "ballots": ballots,
            "items": [{"id": "m", "matter": "ordinary"},
                      {"id": "e", "type": "election", "candidates": ["x", "y", "z"],
                       "seats": 2}]}


def test_k_minus_1_shares_cannot_decrypt() -> None:
    parsed = parse(_file())
    board = trustees(5, 3)
    tally = encrypted_tally(board.key, parsed)
    with pytest.raises(CombineError, match="2 valid decryption"):
        board.combine(tally, [2, 5])
    report = board.combine(tally, [1, 3, 4])
    assert report.combined[0].trustees == (1, 3, 4)
    assert secret.result(parsed.items, parsed.settings, tally, report).to_json() == \
        parsed.tally().to_json()


def test_a_wrong_share_is_detected_and_names_its_trustee() -> None:
    parsed = parse(_file())
    board = trustees(5, 3)
    tally = encrypted_tally(board.key, parsed)
    wrong = board.decryption(2, tally.totals, share=random_scalar())
    report = board.combine(tally, [1, 4, 5], {2: wrong})
    assert set(report.invalid) == {2}
    assert report.invalid[2].startswith("trustee 2: shares[0]")
    assert report.combined[0].trustees == (1, 4, 5)
    assert secret.result(parsed.items, parsed.settings, tally, report).to_json() == \
        parsed.tally().to_json()
    with pytest.raises(CombineError, match="trustee 2: shares"):
        board.combine(tally, [1, 4], {2: wrong})


def test_the_encrypted_tally_document() -> None:
    parsed = parse(_file())
    board = trustees(3, 2)
    tally = encrypted_tally(board.key, parsed, frozenset(parsed.roster.heads))
    doc = tally.to_json()
    assert doc["type"] == "tally.encrypted" and doc["v"] == 1 and doc["origin"] == ORIGIN
    assert doc["total"] == {"area": "496.50", "heads": 6}
    motion, election = doc["items"]
    assert motion["participating"] == {"area": "411.25", "heads": 5}
    assert motion["total"] == {"area": "496.50", "heads": 6}
    assert motion["entries"] == sorted(motion["entries"]) and len(motion["entries"]) == 5
    assert [(t["option"], t["kind"]) for t in motion["totals"]] == [
        (o, kind) for o in range(3) for kind in ("area", "heads")]
    # paper ballots: x, y, z, blank and invalid, each by area and by head
    assert len(election["totals"]) == 10
    assert canonical.decode(canonical.encode(doc)) == doc


def test_a_total_out_of_range_names_its_item() -> None:
    parsed = parse(_file())
    board = trustees(2, 1)
    tally = encrypted_tally(board.key, parsed)
    other = encrypted_tally(board.key, parse(_file() | {"ballots": _file()["ballots"][:5]}))
    with pytest.raises(SecretTallyError, match="other totals"):
        secret.decrypt(tally, board.combine(other, [1]))
    # the participation claimed lower than the ballots' own sum: the logarithm is out of range
    low = tally.items[0].__class__(**{**{f: getattr(tally.items[0], f) for f in (
        "item", "total", "entries", "options", "totals")},
        "participating": tally.items[0].participating._replace(heads=1)})
    forged = tally.__class__(tally.origin, tally.key, tally.community, (low, *tally.items[1:]))
    with pytest.raises(SecretTallyError, match="item m option 0 .heads."):
        secret.result(parsed.items, parsed.settings, forged, board.combine(forged, [1]))
