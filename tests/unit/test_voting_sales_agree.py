"""Units sold out of multi-unit heads (docs/rules.md §7.7): ``ownervote tally`` and the
offline verifier's replay of a log holding the same sales and ballots reach the same
result and refuse the same ballots, whatever the order (one implementation:
voting.sales.record_sale through voting.counting.Counting)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import synthetic
from ledger.documents import grouped_roster, parse_assembly
from ledger.entries import Entry
from ledger.kinds import OFFICIAL_ENROLLED, PAPER_BALLOT, PUBLISHED, UNIT_TRANSFERRED
from ledger.replay import Replayer
from voting import AssemblySettings, Unit
from voting.sales import new_head_id
from voting.tallyfile import item_to_json, run, unit_to_json

ORIGIN = "o/x/assembly/1"
LOG_KEY = "log+00000000+AQ"
OFFICIAL = "0" * 64
SETTINGS = AssemblySettings()
# the developer holds d1..d3; "ow" holds w1, w2; "ox" holds x1 (a buyer "ox" joins x1's head)
UNITS = [
    Unit.from_areas("d1", set(), registered=Decimal("10.00"), building="1",
                    developer_held=True),
    Unit.from_areas("d2", set(), registered=Decimal("20.50"), building="1",
                    developer_held=True),
    Unit.from_areas("d3", set(), registered=Decimal("30.25"), building="1",
                    developer_held=True),
    Unit.from_areas("w1", {"ow"}, registered=Decimal("40.00"), building="1"),
    Unit.from_areas("w2", {"ow"}, registered=Decimal("50.01"), building="1"),
    Unit.from_areas("x1", {"ox"}, registered=Decimal("60.00"), building="1"),
]
SELLABLE = ["d1", "d2", "d3", "w1", "w2"]
ALL = [u.unit_id for u in UNITS]

steps = st.lists(st.one_of(
    st.tuples(st.just("ballot"), st.sampled_from(ALL), st.sampled_from(["1", "2"]),
              st.sampled_from(["agree", "oppose"])),
    st.tuples(st.just("sale"), st.sampled_from(SELLABLE), st.sampled_from(["b1", "b2", "ox"]),
              st.just("")),
), max_size=30)


def _entry(index: int, t: int, kind: str, payload: dict[str, Any]) -> Entry:
    return Entry(index, bytes(32), t, kind, {"payload": {"origin": ORIGIN, **payload}})


def _plan(raw: list) -> list:
    """Each unit sold at most once (a second sale of it is a tally-file error)."""
    sold: set[str] = set()
    out = []
    for step in raw:
        if step[0] == "sale":
            if step[1] in sold:
                continue
            sold.add(step[1])
        out.append(step)
    return out


def _through_the_verifier(plan: list) -> tuple[dict, set[int]]:
    rdata, roster = grouped_roster({"community": "c", "roster_version": 1,
                                    "registry_digest": "0" * 64},
                                   [(u, "registered") for u in UNITS], SETTINGS)
    adoc = synthetic.assembly_doc(items=2, settings=SETTINGS.to_dict())
    r = Replayer(LOG_KEY, rdata, set())
    r.feed(Entry(0, bytes(32), 0, PUBLISHED, {
        "origin": ORIGIN, "assembly": adoc, "roster_sha256": hashlib.sha256(rdata).hexdigest(),
        "log_key": LOG_KEY}))
    r.feed(_entry(1, 0, OFFICIAL_ENROLLED, {"official": OFFICIAL, "spki": "",
                                            "role": "committee", "ref": "s"}))
    head_of = dict(roster.head_of_unit)  # the head that holds each unit now
    sale_head: dict[str, str] = {}
    seq: dict[str, int] = {}
    refused: set[int] = set()
    at = synthetic.OPENS
    for position, (kind, unit, what, choice) in enumerate(plan, start=2):
        at += 1000
        failures = r.failure_count
        if kind == "sale":
            seller = roster.head_of_unit[unit]
            extra = {"buyer_head": roster.head_of_unit["x1"]} if what == "ox" else {}
            r.feed(_entry(position, at, UNIT_TRANSFERRED, {
                "head": seller, "buyer": what, "transferred_at": at - 500, "unit": unit,
                "official": OFFICIAL, "nonce": "A" * 22, "evidence_sha256": "0" * 64,
                **extra}))
            assert r.failure_count == failures, r.failures
            if what == "ox":
                head_of[unit] = roster.head_of_unit["x1"]
            else:
                head_of[unit] = sale_head.setdefault(what, new_head_id(unit))
            continue
        head = head_of[unit]
        seq[head] = seq.get(head, 0) + 1
        r.feed(_entry(position, at, PAPER_BALLOT, {
            "head": head, "official": OFFICIAL, "seq": seq[head], "nonce": "A" * 22,
            "choices": {what: choice}, "scan_sha256": "0" * 64}))
        if r.failure_count > failures:
            refused.add(position - 2)
    assert r.counting is not None
    result = r.counting.result(parse_assembly(adoc).items.values()).to_json()
    return result, refused


def _through_the_tally_file(plan: list) -> tuple[dict, set[int]]:
    start = dt.datetime.fromtimestamp(synthetic.OPENS / 1000, dt.UTC)
    ballots, transfers, position_of = [], [], {}
    for position, (kind, unit, what, choice) in enumerate(plan):
        time = (start + dt.timedelta(seconds=position + 1)).isoformat()
        if kind == "sale":
            transfers.append({"unit": unit, "buyer": what, "time": time})
        else:
            position_of[len(ballots)] = position
            ballots.append({"unit": unit, "item": what, "choice": choice, "channel": "paper",
                            "time": time})
    adoc = synthetic.assembly_doc(items=2, settings=SETTINGS.to_dict())
    data = {"units": [unit_to_json(u) for u in UNITS],
            "items": [item_to_json(i) for i in parse_assembly(adoc).items.values()],
            "ballots": ballots, "transfers": transfers}
    output = run(json.dumps(data))
    refused = {position_of[r["ballot"]] for r in output.pop("refused_ballots")}
    return output, refused


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_tally_file_and_verifier_agree_on_sales(raw) -> None:
    plan = _plan(raw)
    expected, refused_by_verifier = _through_the_verifier(plan)
    got, refused_by_tally = _through_the_tally_file(plan)
    assert got == expected
    assert refused_by_tally == refused_by_verifier
