"""The tally file applies the casting rules as the verifier does, and never crashes.

* Random ballots (channels, co-owners, proxies, a committee's representative, revote and
  precedence settings) give the same result through ``ownervote tally`` as through the
  offline verifier's replay of a log holding the same ballots (:mod:`ledger.replay`),
  and the same ballots are refused on both paths.
* Random JSON shapes through ``ownervote tally``: exit 0 or 2 with one line, never a
  traceback.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import canonical, synthetic
from ledger.documents import grouped_roster, parse_assembly
from ledger.entries import Entry
from ledger.kinds import (
    KEY_ENROLLED,
    OFFICIAL_ENROLLED,
    PAPER_BALLOT,
    PROXY_REGISTERED,
    PUBLISHED,
    REPRESENTATIVE_SET,
)
from ledger.replay import Replayer
from ownervote.commands.tally import tally as tally_command
from voting import AssemblySettings, Unit, tally
from voting.tallyfile import item_to_json, run, unit_to_json

ORIGIN = "o/x/assembly/1"
LOG_KEY = "log+00000000+AQ"
OFFICIAL = "0" * 64
# unit 1-101 has two co-owners; the others one owner each
OWNERS = {"1-101": ("o0a", "o0b"), "1-102": ("o1",), "1-103": ("o2",), "1-104": ("o3",)}
UNITS = [Unit.from_areas(unit, set(owners), registered=Decimal("10.00") + index,
                         building="1") for index, (unit, owners) in enumerate(OWNERS.items())]

ballots = st.lists(
    st.one_of(
        st.tuples(
            st.just("ballot"),
            st.integers(0, 3),  # unit
            st.sampled_from(["electronic", "paper", "proxy"]),
            st.dictionaries(st.sampled_from(["1", "2"]), st.sampled_from(["agree", "oppose"]),
                            min_size=1, max_size=1),
            st.integers(0, 1),  # which co-owner (unit 1-101) acts
            st.integers(0, 1),  # which agent (proxy)
        ),
        st.tuples(st.just("representative"), st.integers(0, 1)),
    ),
    max_size=30,
)


def _entry(index: int, t: int, kind: str, payload: dict[str, Any]) -> Entry:
    return Entry(index, bytes(32), t, kind, {"payload": {"origin": ORIGIN, **payload}})


def _through_the_verifier(plan: list, settings_: AssemblySettings) -> tuple[dict, set[int]]:
    """The result the verifier recomputes from a log of these ballots; the refused ones."""
    rdata, roster = grouped_roster({"community": "c", "roster_version": 1,
                                    "registry_digest": "0" * 64},
                                   [(u, "registered") for u in UNITS], settings_)
    adoc = synthetic.assembly_doc(items=2, settings=settings_.to_dict())
    r = Replayer(LOG_KEY, rdata, set())
    r.feed(Entry(0, bytes(32), 0, PUBLISHED, {
        "origin": ORIGIN, "assembly": adoc, "roster_sha256": hashlib.sha256(rdata).hexdigest(),
        "log_key": LOG_KEY}))
    r.feed(_entry(1, 0, OFFICIAL_ENROLLED, {"official": OFFICIAL, "spki": "",
                                            "role": "committee", "ref": "s"}))
    index = 2
    heads = [roster.head_of_unit[u.unit_id] for u in UNITS]
    keys: set[str] = set()
    seq = [0] * len(UNITS)
    refused: set[int] = set()
    at = synthetic.OPENS
    for position, step in enumerate(plan):
        at += 1000
        if step[0] == "representative":
            r.feed(_entry(index, at, REPRESENTATIVE_SET, {
                "head": heads[0], "voter": OWNERS["1-101"][step[1]], "official": OFFICIAL,
                "nonce": "A" * 22}))
            index += 1
            continue
        _, unit, channel, choices, co_owner, agent_no = step
        owners = list(OWNERS.values())[unit]
        voter = owners[co_owner % len(owners)]
        agent = f"agent-{agent_no}"
        key = f"{unit}{voter}{agent if channel == 'proxy' else ''}".ljust(64, "0")
        if channel != "paper" and key not in keys:
            keys.add(key)
            if channel == "proxy":
                r.feed(_entry(index, at, PROXY_REGISTERED, {
                    "head": heads[unit], "agent": agent, "official": OFFICIAL,
                    "nonce": "A" * 22, "evidence_sha256": "0" * 64}))
                index += 1
            r.feed(_entry(index, at, KEY_ENROLLED, {
                "head": heads[unit], "key": key, "spki": "",
                "role": "proxy" if channel == "proxy" else "owner",
                "agent": agent if channel == "proxy" else None, "voter": voter}))
            index += 1
        seq[unit] += 1
        failures = r.failure_count
        if channel == "paper":
            r.feed(_entry(index, at, PAPER_BALLOT, {
                "head": heads[unit], "official": OFFICIAL, "seq": seq[unit], "nonce": "A" * 22,
                "choices": choices, "scan_sha256": "0" * 64}))
        else:
            r.ballot(index, at, heads[unit], key, seq[unit], choices, ORIGIN)
        if r.failure_count > failures:
            refused.add(position)
        index += 1
    assembly = parse_assembly(adoc)
    result = tally(roster, assembly.items.values(), r.votes, settings_).to_json()
    return result, refused


def _through_the_tally_file(plan: list, settings_: AssemblySettings,
                            shuffle: list[int]) -> tuple[dict, set[int]]:
    """The same ballots as a tally file (listed in another order, each with its time)."""
    start = dt.datetime.fromtimestamp(synthetic.OPENS / 1000, dt.UTC)
    rows: list[tuple[str, int, dict[str, Any]]] = []
    for position, step in enumerate(plan):
        time = (start + dt.timedelta(seconds=position + 1)).isoformat()
        if step[0] == "representative":
            rows.append(("representatives", position,
                         {"unit": "1-101", "voter": OWNERS["1-101"][step[1]], "time": time}))
            continue
        _, unit, channel, choices, co_owner, agent_no = step
        unit_id, owners = list(OWNERS.items())[unit]
        [(item, choice)] = choices.items()
        ballot: dict[str, Any] = {"unit": unit_id, "item": item, "choice": choice,
                                  "channel": channel, "time": time}
        if channel != "paper":
            ballot["voter"] = owners[co_owner % len(owners)]
        if channel == "proxy":
            ballot["agent"] = f"agent-{agent_no}"
        rows.append(("ballots", position, ballot))
    order = sorted(range(len(rows)), key=lambda i: shuffle[i % len(shuffle)] if shuffle else 0)
    listed: dict[str, list[dict[str, Any]]] = {"ballots": [], "representatives": []}
    position_of: dict[int, int] = {}
    for i in order:
        where, position, row = rows[i]
        if where == "ballots":
            position_of[len(listed["ballots"])] = position
        listed[where].append(row)
    adoc = synthetic.assembly_doc(items=2, settings=settings_.to_dict())
    counted = {"scope_buildings", "count_parking", "revote", "precedence", "proxy_cap",
               "non_voters_join_majority"}
    data = {
        "units": [unit_to_json(u) for u in UNITS],
        "items": [item_to_json(i) for i in parse_assembly(adoc).items.values()],
        **listed,
        "settings": {k: v for k, v in settings_.to_dict().items() if k in counted},
    }
    output = run(json.dumps(data))
    refused = {position_of[r["ballot"]] for r in output.pop("refused_ballots")}
    return output, refused


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ballots,
    st.sampled_from(["none", "once", "until_close"]),
    st.sampled_from(["first_cast", "paper", "electronic"]),
    st.sampled_from([None, 0]),
    st.lists(st.integers(0, 50), max_size=30),
)
def test_tally_file_and_verifier_replay_agree(plan, revote, precedence, cap, shuffle) -> None:
    settings_ = AssemblySettings.from_dict(
        {"revote": revote, "precedence": precedence, "proxy_cap": cap})
    expected, refused_by_verifier = _through_the_verifier(plan, settings_)
    got, refused_by_tally = _through_the_tally_file(plan, settings_, shuffle)
    assert got == expected
    if cap is None:  # with cap 0 the log refuses even the proxies' registration
        assert refused_by_tally == refused_by_verifier


# -- random shapes never crash the command ---------------------------------------------------

KEYS = ["units", "items", "ballots", "settings", "transfers", "representatives", "comment",
        "unit", "owners", "registered_area", "surveyed_area", "contract_area", "building",
        "usage", "developer_held", "id", "matter", "kind", "type", "candidates", "seats",
        "buildings", "item", "choice", "approve", "channel", "time", "voter", "agent", "buyer",
        "revote", "precedence", "proxy_cap", "count_parking", "scope_buildings", "notice_days"]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**30), 10**30),
    st.sampled_from(["1-101", "m", "agree", "approve", "paper", "proxy", "89.50", "-5", "0",
                     "1" * 40, "80.005", "election", "ordinary", "special", "parking", "o1",
                     "2025-03-20T09:00:00+08:00", "none", "once", "1-\ud800", "\udfff"]),
    st.text(max_size=8),
)
shapes = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), inner,
                                            max_size=5)),
    max_leaves=30,
)
files = st.fixed_dictionaries(
    {"units": st.lists(shapes, max_size=3), "items": st.lists(shapes, max_size=3),
     "ballots": st.lists(shapes, max_size=3)},
    optional={"settings": shapes, "transfers": shapes, "representatives": shapes},
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(files, shapes))
def test_random_shapes_exit_0_or_2_with_one_line(data: Any) -> None:
    text = json.dumps(data)  # lone surrogates are written as \ud800 escapes
    result = CliRunner().invoke(tally_command, ["-"], input=text.encode())
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        text, result.exception)
    assert result.exit_code in (0, 2), (text, result.stderr)
    if result.exit_code == 2:
        assert result.stdout == "" and len(result.stderr.splitlines()) == 1, result.stderr
    else:
        canonical.encode(json.loads(result.stdout))  # the output is plain JSON
