"""Look-alike text (issue 15 item 11) and normalised identifiers (issue 16 item 7): the pure
rule (voting.text), candidates, the registry extract and the tally file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from identity.errors import ExtractError
from identity.parsing import parse_bytes
from identity.validation import validate_rows
from ownervote.commands.tally import tally as tally_command
from tests.support.data import REGISTRY_DATA
from voting import Item
from voting.errors import ItemError, TallyFileError
from voting.items import ItemSpec
from voting.tallyfile import load
from voting.text import (
    HiddenCharacter,
    hidden_character,
    normalise_identifier,
    require_visible,
    same_text_key,
)

HIDDEN = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u202a", "\u2066",
          "\u2069", "\u200e", "\u200f", "\u00ad", "\u0000", "\u0007", "\n", "\t", "\u2028",
          "\u3164", "\u115f", "\u2800", "\ufe0f", "\ue000"]
visible_text = st.text(st.characters(blacklist_categories=("Cc", "Cf", "Co", "Cs", "Cn", "Zl",
                                                           "Zp")), min_size=1, max_size=20)


# -- the pure rule ----

@pytest.mark.parametrize("char", HIDDEN)
def test_every_hidden_character_is_found_and_refused(char: str) -> None:
    assert hidden_character(f"张{char}三") == (2, char)
    with pytest.raises(HiddenCharacter, match=f"title: character 2 is U\\+{ord(char):04X}"):
        require_visible(f"张{char}三", "title")


@given(visible_text.filter(lambda t: hidden_character(t) is None), st.sampled_from(HIDDEN),
       st.integers(min_value=0, max_value=20))
def test_a_hidden_character_never_makes_another_candidate(text, char, at) -> None:
    at = min(at, len(text))
    assert same_text_key(text[:at] + char + text[at:]) == same_text_key(text)


@given(st.text(max_size=30))
def test_normalising_is_idempotent_and_trims(text: str) -> None:
    once = normalise_identifier(text)
    assert normalise_identifier(once) == once
    assert once == once.strip() and "  " not in once


def test_full_width_is_half_width() -> None:
    assert normalise_identifier("Ａ栋　１０１") == "A栋 101"
    assert same_text_key("Ａ") == same_text_key("A")
    assert hidden_character("张三 Li Si（一）") is None


# -- candidates and titles ----

@pytest.mark.parametrize("twin", ["张\u200b三", "张三\u3000", "Ｚhang", "张\ufeff三"])
def test_look_alike_candidates_are_one(twin: str) -> None:
    first = "Zhang" if twin.startswith("Ｚ") else "张三"
    with pytest.raises(ItemError, match="listed twice"):
        Item.election("e", [first, twin], 1)
    with pytest.raises((ItemError, HiddenCharacter)):
        ItemSpec("选举", 3, kind="election", seats=1, candidates=[first, twin]).check(1)


def test_hidden_characters_in_titles_and_names_are_refused() -> None:
    with pytest.raises(HiddenCharacter, match="item 1: the title: character 3 is U\\+202E"):
        ItemSpec("选聘\u202e物业", 4).check(1)
    with pytest.raises(HiddenCharacter, match="item 2: candidate 2"):
        ItemSpec("选举", 3, kind="election", seats=1,
                 candidates=["李四", "王\u200d五"]).check(2)


# -- the registry extract ----

def _extract(edit) -> bytes:
    lines = (REGISTRY_DATA / "small.csv").read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(",")
    edit(cells)
    lines[1] = ",".join(cells)
    return ("\n".join(lines) + "\n").encode("utf-8")


def _validate(data: bytes):
    parsed = parse_bytes(data)
    return validate_rows(parsed.rows, parsed.errors)


def test_registry_identifiers_are_normalised_with_a_warning_per_value() -> None:
    def full_width(cells: list[str]) -> None:
        cells[0] = cells[0] + " "  # building with a trailing space
        cells[1] = "１０１"  # unit
        cells[3] = " 陈明 "  # owner name with spaces around it
        cells[5] = "３５０８８１１９８５０３１２００１１"  # ID number in full-width digits

    extract = _validate(_extract(full_width))
    plain = _validate((REGISTRY_DATA / "small.csv").read_bytes())
    assert [u.label for u in extract.units] == [u.label for u in plain.units]
    assert extract.owners.keys() == plain.owners.keys()
    warned = [w for w in extract.warnings if w.startswith("line 2:")]
    assert "line 2: unit '１０１' read as '101'" in warned
    assert "line 2: building '1幢' had spaces at either end (removed)" in warned
    assert any(w.startswith("line 2: owner_name read in its normal form") for w in warned)
    assert any(w.startswith("line 2: id_number read in its normal form") for w in warned)
    assert not any("陈明" in w or "350881" in w for w in extract.warnings)  # no personal data
    assert not any(w.startswith("line 2:") for w in plain.warnings)


@pytest.mark.parametrize(("column", "index"), [("building", 0), ("unit", 1), ("owner_name", 3),
                                               ("id_number", 5), ("certificate_no", 2)])
def test_registry_refuses_a_hidden_character_naming_row_and_field(column, index) -> None:
    def hide(cells: list[str]) -> None:
        cells[index] = cells[index][:1] + "\u200b" + cells[index][1:]

    with pytest.raises(ExtractError) as caught:
        _validate(_extract(hide))
    problems = [(e.line, e.field) for e in caught.value.errors]
    assert (2, column) in problems
    message = next(e.message for e in caught.value.errors if e.field == column)
    assert "U+200B ZERO WIDTH SPACE" in message


# -- the tally file ----

def _tally_input() -> dict:
    return {"units": [{"unit": f"1-10{n}", "owners": [f"o{n}"], "registered_area": "80.00"}
                      for n in range(1, 5)],
            "items": [{"id": "covenant", "matter": "ordinary"}],
            "ballots": [{"unit": f"1-10{n}", "item": "covenant", "choice": "agree"}
                        for n in range(1, 4)]}


full_width_digits = st.text(st.sampled_from("０１２３４５６７８９"), min_size=1, max_size=3)


@given(st.lists(st.tuples(full_width_digits, st.booleans()), min_size=4, max_size=4,
                unique_by=lambda t: normalise_identifier(t[0])))
def test_tally_file_identifiers_in_any_width_tally_the_same(labels) -> None:
    plain, wide = _tally_input(), _tally_input()
    for n, (label, spaced) in enumerate(labels):
        ascii_label = normalise_identifier(label)
        for data, text in ((plain, ascii_label), (wide, f" {label}　" if spaced else label)):
            data["units"][n]["unit"] = text
            data["units"][n]["owners"] = [text + "号"]
            if n < 3:
                data["ballots"][n]["unit"] = text
    parsed = load(json.dumps(wide, ensure_ascii=False))
    assert parsed.tally().to_json() == load(json.dumps(plain)).tally().to_json()
    assert len(parsed.warnings) == 2 * 4 + 3  # unit, owner; and each ballot's unit
    assert all(w.startswith(("units[", "ballots[")) and "read as" in w for w in parsed.warnings)


def test_tally_file_refuses_a_hidden_character_with_exit_2(tmp_path: Path) -> None:
    data = _tally_input()
    data["units"][2]["owners"] = ["o\u200b3"]
    with pytest.raises(TallyFileError, match=r"units\[2\]\.owners\[0\]"):
        load(json.dumps(data))
    path = tmp_path / "vote.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(tally_command, [str(path)])
    assert result.exit_code == 2 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and "U+200B" in result.stderr


def test_tally_command_prints_each_normalised_value_as_a_warning(tmp_path: Path) -> None:
    data = _tally_input()
    data["units"][0]["unit"] = data["ballots"][0]["unit"] = "１-101"
    path = tmp_path / "vote.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(tally_command, [str(path)])
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == ["warning: units[0].unit: '１-101' read as '1-101'",
                                          "warning: ballots[0].unit: '１-101' read as '1-101'"]
    assert json.loads(result.stdout)
