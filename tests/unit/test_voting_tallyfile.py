"""``ownervote tally FILE``: hand-computed cases, every class of bad input, the parser."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ownervote.commands.tally import tally as tally_command
from tests.support.data import DATA
from voting import Item, TallyFileError
from voting.tallyfile import item_to_json, load, parse_item, parse_unit, unit_to_json

CASES = sorted((DATA / "tally").glob("*.json"))


def contains(actual: Any, expected: Any, where: str = "") -> None:
    """Every key of ``expected`` is in ``actual`` with the same value (lists: same length)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), where
        for key, value in expected.items():
            assert key in actual, f"{where}.{key} missing"
            contains(actual[key], value, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), where
        for index, (got, want) in enumerate(zip(actual, expected, strict=True)):
            contains(got, want, f"{where}[{index}]")
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


def run_cli(tmp_path: Path, data: Any, *args: str):
    path = tmp_path / "vote.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return CliRunner().invoke(tally_command, [str(path), *args])


def test_there_are_hand_computed_cases() -> None:
    assert len(CASES) >= 8


@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_hand_computed_case(case: Path, tmp_path: Path) -> None:
    data = json.loads(case.read_text(encoding="utf-8"))
    assert data["why"], "each case explains its arithmetic"
    result = run_cli(tmp_path, data["input"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    contains(json.loads(result.stdout), data["expected"])


def test_output_keys_and_exact_strings(tmp_path: Path) -> None:
    data = json.loads(CASES[0].read_text(encoding="utf-8"))["input"]
    result = run_cli(tmp_path, data, "--indent", "0")
    assert result.stdout.count("\n") == 1
    output = json.loads(result.stdout)
    assert set(output) >= {"total", "items"}
    item = output["items"][0]
    for key in ("id", "matter", "quorum_met", "passed", "participating", "agree", "oppose"):
        assert key in item
    assert isinstance(item["agree"]["area"], str) and isinstance(item["agree"]["heads"], int)


def _base() -> dict[str, Any]:
    return {
        "units": [
            {"unit": "1-101", "owners": ["a"], "registered_area": "90.00"},
            {"unit": "1-102", "owners": ["b"], "registered_area": "80.00"},
            {"unit": "P-1", "owners": ["c"], "registered_area": "12.00", "usage": "parking"},
        ],
        "items": [
            {"id": "m", "matter": "ordinary"},
            {"id": "e", "type": "election", "candidates": ["x", "y"], "seats": 1},
        ],
        "ballots": [
            {"unit": "1-101", "item": "m", "choice": "agree"},
            {"unit": "1-102", "item": "e", "approve": ["x"]},
        ],
    }


def _with(path: str, value: Any) -> dict[str, Any]:
    """A copy of the base file with the value at ``units[0].owners``-style path replaced."""
    data = _base()
    target: Any = data
    parts = path.replace("]", "").replace("[", ".").split(".")
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target[part]
    last = parts[-1]
    if value is DELETE:
        del target[int(last) if last.isdigit() else last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return data


DELETE = object()

BAD_INPUTS = [
    # (name, file content, expected start of the error line)
    ("malformed JSON", '{"units": [', "error: "),
    ("not an object", "[]", "vote.json: expected an object, got a list"),
    ("NaN", '{"units": NaN}', "NaN is not allowed"),
    ("duplicate key", '{"units": [], "units": []}', 'duplicate key "units"'),
    ("missing ballots", _with("ballots", DELETE), 'vote.json: missing "ballots"'),
    ("unknown top key", _with("ballot", []), 'vote.json: unknown key "ballot"'),
    ("units not a list", _with("units", {}), "error: units: expected a list"),
    ("unknown unit key", _with("units[0].registerd_area", "1"), 'units[0]: unknown key "registerd'),
    ("unit id number", _with("units[0].unit", 101), "error: units[0].unit: expected a non-empty"),
    ("duplicate unit", _with("units[1].unit", "1-101"), "unit 1-101 (units[1]): listed twice"),
    ("no area", _with("units[0].registered_area", DELETE), 'unit 1-101 (units[0]): no "registe'),
    ("zero area", _with("units[0].registered_area", "0"), "registered_area 0 must be positive"),
    (
        "negative area",
        _with("units[0].registered_area", "-5"),
        "error: unit 1-101 (units[0]): registered_area -5 is negative",
    ),
    ("three decimals", _with("units[1].registered_area", "80.005"), "more than two decimal"),
    ("float area", _with("units[0].registered_area", 90.5), 'string like "89.50", got the n'),
    ("owners not list", _with("units[0].owners", "a"), "(units[0]): owners: expected a list"),
    ("no owners", _with("units[0].owners", []), "unit 1-101 (units[0]): owners: the unit has no"),
    ("bad usage", _with("units[0].usage", "garden"), '(units[0]): usage "garden" is not one of'),
    ("developer not bool", _with("units[0].developer_held", 1), "(units[0]): developer_held"),
    ("unknown matter", _with("items[0].matter", "urgent"), 'item m (items[0]): matter "urgent"'),
    ("kind out of range", _with("items[0].kind", 10), "(items[0]): kind the number 10 is not"),
    ("kind contradicts", _with("items[0].kind", 7), "item m (items[0]): matter: kind 7"),
    ("duplicate item", _with("items[1].id", "m"), "item m (items[1]): listed twice"),
    ("unknown unit", _with("ballots[0].unit", "3-1202"), 'ballots[0].unit: unknown unit "3-1202"'),
    ("parking unit", _with("ballots[0].unit", "P-1"), 'ballots[0].unit: unit "P-1" does not count'),
    ("unknown item", _with("ballots[1].item", "zz"), 'ballots[1].item: unknown item "zz"'),
    (
        "unknown choice",
        _with("ballots[0].choice", "yes"),
        'ballots[0].choice: unknown choice "yes"',
    ),
    ("choice on election", _with("ballots[1].choice", "agree"), "ballots[1]: give exactly one"),
    ("too many", _with("ballots[1].approve", ["x", "y"]), 'ballots[1].approve: item "e": 2 cand'),
    ("unknown candidate", _with("ballots[1].approve", ["w"]), 'no candidate "w"'),
    (
        "choice agree on election",
        _with("ballots[1]", {"unit": "1-102", "item": "e", "choice": "agree"}),
        'ballots[1].choice: item "e" is an election: approve candidates or abstain, got "agree"',
    ),
    ("bad setting", _with("settings", {"revote": "twice"}), "settings.revote"),
    (
        "a setting the tally cannot apply",
        _with("settings", {"notice_days": 20}),
        "error: settings.notice_days: a tally does not apply this setting",
    ),
    ("huge area", _with("units[0].registered_area", "1" + "0" * 30), "larger than any unit"),
    (
        "areas beyond the exact decimal range",
        _with("units[1].registered_area", "9" * 27 + ".99"),
        "error: unit 1-102 (units[1]): registered_area 999999999999999999999999999.99 is larger",
    ),
    (
        "an integer thousands of digits long",
        '{"units": [], "items": [{"id": "m", "kind": ' + "9" * 5000 + '}], "ballots": []}',
        "vote.json: a number 5000 digits long is not allowed",
    ),
    (
        "a lone surrogate in a unit id",
        json.dumps(_with("units[0].unit", "1-\ud800")),  # JSON escapes it: "1-\\ud800"
        "units[0].unit: 1-\\ud800 holds a lone surrogate",
    ),
    (
        "a lone surrogate in an item id",
        json.dumps(_with("items[0].id", "m\udfff")),
        "items[0].id: m\\udfff holds a lone surrogate",
    ),
    ("unknown ballot key", _with("ballots[0].chanel", "paper"), 'ballots[0]: unknown key "chanel"'),
    ("bad channel", _with("ballots[0].channel", "fax"), 'ballots[0].channel: "fax" is not one of'),
    ("bad time", _with("ballots[0].time", "yesterday"), 'ballots[0].time: "yesterday" is not a'),
    ("time without offset", _with("ballots[0].time", "2025-03-20T09:00:00"), "UTC offset"),
    (
        "only some times",
        _with("ballots[0].time", "2025-03-20T09:00:00+08:00"),
        'ballots[1]: missing "time"',
    ),
    (
        "a transfer without times",
        _with("transfers", [{"unit": "1-101", "buyer": "n"}]),
        'transfers[0]: missing "time"',
    ),
    ("voter not an owner", _with("ballots[0].voter", "zz"), 'ballots[0].voter: "zz" is not an'),
    ("agent not a string", _with("ballots[0].agent", 7), "ballots[0].agent: expected a non-empty"),
    (
        "representative not an owner",
        _with("representatives", [{"unit": "1-101", "voter": "b"}]),
        'representatives[0].voter: "b" is not an owner of unit 1-101',
    ),
    ("empty scope", _with("items[0].buildings", ["9"]), "(items[0]): buildings: no counted unit"),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_exits_2_with_one_line(tmp_path: Path, name: str, content, message) -> None:
    result = run_cli(tmp_path, content)
    assert result.exit_code == 2, (name, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0], lines[0]
    assert "Traceback" not in result.stderr


def test_unreadable_file_and_control_characters(tmp_path: Path) -> None:
    result = CliRunner().invoke(tally_command, [str(tmp_path / "missing.json")])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("error: ") and "cannot read" in result.stderr
    evil = _with("ballots[0].unit", "3-12\n02")
    result = run_cli(tmp_path, evil)
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    assert "3-12\\n02" in result.stderr


def test_standard_input(tmp_path: Path) -> None:
    data = json.loads(CASES[0].read_text(encoding="utf-8"))["input"]
    result = CliRunner().invoke(tally_command, ["-"], input=json.dumps(data))
    assert result.exit_code == 0 and json.loads(result.stdout)["items"][0]["passed"] is True


def test_real_process_through_the_console_group(tmp_path: Path) -> None:
    """The installed group dispatches lazily; bad input gives exit 2 and one stderr line."""
    good = tmp_path / "good.json"
    good.write_text(json.dumps(json.loads(CASES[0].read_text())["input"]), encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_with("ballots[0].unit", "3-1202")), encoding="utf-8")
    command = [sys.executable, "-m", "ownervote.cli", "tally"]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    ok = subprocess.run([*command, str(good)], capture_output=True, text=True, env=env, check=False)
    assert ok.returncode == 0 and json.loads(ok.stdout)["items"][0]["passed"] is True
    ko = subprocess.run([*command, str(bad)], capture_output=True, text=True, env=env, check=False)
    assert ko.returncode == 2 and ko.stdout == ""
    assert ko.stderr.strip() == 'error: ballots[0].unit: unknown unit "3-1202"'


def test_tally_command_module_stays_light() -> None:
    code = (
        "import sys, ownervote.commands.tally; "
        "print(any(m.split('.')[0] in ('flask', 'sqlalchemy') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    code = (
        "import sys, voting; "
        "print('voting.store.models' in sys.modules or 'sqlalchemy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_unit_and_item_round_trip() -> None:
    data = _base()
    for index, raw in enumerate(data["units"]):
        unit = parse_unit(raw, f"units[{index}]")
        assert parse_unit(unit_to_json(unit), "again") == unit
    for item in (
        Item.motion("m", 7),
        Item.motion("n", "ordinary", buildings=["2", "1"]),
        Item.election("e", ["x", "y"], 1),
    ):
        assert parse_item(item_to_json(item), "items[0]") == item


def test_load_reports_json_position() -> None:
    with pytest.raises(TallyFileError) as info:
        load('{\n  "units": [,]\n}', "vote.json")
    assert str(info.value).startswith("vote.json:2:")
