"""Reading extracts: CSV/JSON, UTF-8 (BOM or not) and GB18030, English and Chinese headers,
file line numbers, and validation of every row."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from identity import vocab
from identity.errors import ExtractError, ExtractFormatError
from identity.parsing import decode, parse_bytes, parse_rows
from identity.validation import MAX_ERRORS, validate_rows
from tests.support.data import REGISTRY_DATA

# Values: CJK, ASCII letters/digits and punctuation incl. the CSV specials; no surrounding
# whitespace (cells are stripped), no NUL, no surrogates.
value_chars = st.sampled_from(list("楼栋房号陈林黄张李王已登记住宅车位幢号第一二三四五六七八九十")
                              + list("ABCxyz0123456789") + list(',"\n\r;:-·（）()'))
values = st.text(value_chars, max_size=12).map(str.strip)
row_values = st.fixed_dictionaries({c: values for c in vocab.COLUMNS})


def write_csv(rows: list[dict[str, str]], chinese: bool) -> str:
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([vocab.HEADER_ZH[c] if chinese else c for c in vocab.COLUMNS])
    for r in rows:
        w.writerow([r[c] for c in vocab.COLUMNS])
    return out.getvalue()


def write_json(rows: list[dict[str, str]], chinese: bool) -> str:
    key = (lambda c: vocab.HEADER_ZH[c]) if chinese else (lambda c: c)
    return json.dumps([{key(c): r[c] for c in vocab.COLUMNS} for r in rows],
                      ensure_ascii=False, indent=1)


def nonblank(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [r for r in rows if any(r.values())]


@settings(max_examples=150)
@given(st.lists(row_values, max_size=6), st.booleans(), st.sampled_from(["csv", "json"]),
       st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_round_trip(rows, chinese, fmt, encoding) -> None:
    text = (write_csv if fmt == "csv" else write_json)(rows, chinese)
    data = text.encode(encoding)
    try:
        data.decode("utf-8")
        ambiguous = encoding == "gb18030" and not text.isascii()
    except UnicodeDecodeError:
        ambiguous = False
    parsed = parse_bytes(data, encoding if ambiguous else None)
    assert parsed.errors == []
    assert parsed.format == fmt
    if not ambiguous:
        assert parsed.encoding == (encoding if not text.isascii() or encoding == "utf-8-sig"
                                   else "utf-8")
    expected = nonblank(rows) if fmt == "csv" else rows
    assert [dict(r.values) for r in parsed.rows] == expected


@given(st.lists(row_values, min_size=1, max_size=5))
def test_csv_lines_are_file_lines(rows) -> None:
    text = write_csv(rows, chinese=False)
    parsed = parse_bytes(text.encode())
    physical = 2
    lines = []
    for r in rows:
        if any(r.values()):
            lines.append(physical)
        cells = [r[c] for c in vocab.COLUMNS]
        physical += 1 + sum(c.count("\n") + c.count("\r") - c.count("\r\n") for c in cells)
    assert [r.line for r in parsed.rows] == lines


def test_json_lines_are_file_lines() -> None:
    text = '[\n {"building": "1幢", "unit": "101"},\n\n {"building": "1幢",\n  "unit": "102"}\n]'
    assert [r.line for r in parse_bytes(text.encode()).rows] == [2, 4]
    wrapped = '{"source": "x",\n "rows": [\n  {"unit": "101"}]}'
    assert [r.line for r in parse_bytes(wrapped.encode()).rows] == [3]


def test_chinese_headers_in_gb18030_are_never_taken_for_utf8() -> None:
    header = ",".join(vocab.HEADER_ZH[c] for c in vocab.COLUMNS).encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        header.decode("utf-8")
    assert decode(header)[1] == "gb18030"


def test_structural_errors() -> None:
    with pytest.raises(ExtractFormatError, match="line 1, unit, certificate_no.*missing"):
        parse_bytes("building,owner_name\n1幢,x\n".encode())
    with pytest.raises(ExtractFormatError, match="neither UTF-8 nor GB18030"):
        parse_bytes(b"building\n\x80\xff\xfe")
    with pytest.raises(ExtractFormatError, match="UTF-16"):
        parse_bytes("building".encode("utf-16"))
    with pytest.raises(ExtractFormatError, match="line 2.*invalid JSON"):
        parse_bytes(b'[\n{"unit": }]')
    with pytest.raises(ExtractFormatError, match="given twice"):
        parse_bytes(("楼栋,building," + ",".join(vocab.COLUMNS[1:]) + "\n").encode())
    short = (",".join(vocab.COLUMNS) + "\n1幢,101\n").encode()
    assert "has 2 fields" in parse_bytes(short).errors[0].message


def test_unknown_columns_are_ignored_and_reported() -> None:
    text = "序号," + ",".join(vocab.COLUMNS) + "\n"
    assert parse_bytes(text.encode()).ignored_columns == ("序号",)


# --- validation ---------------------------------------------------------------------------


def fixture_rows(name: str = "small.csv"):
    return parse_bytes((REGISTRY_DATA / name).read_bytes()).rows


def test_fixtures_validate_and_agree() -> None:
    utf8 = validate_rows(fixture_rows())
    gb = validate_rows(fixture_rows("small-gb18030.csv"))
    assert parse_bytes((REGISTRY_DATA / "small-gb18030.csv").read_bytes()).encoding == "gb18030"
    assert (utf8.rows, len(utf8.units), len(utf8.owners)) == (16, 14, 9)
    assert [(u.label, u.owners) for u in utf8.units] == [(u.label, u.owners) for u in gb.units]


def test_bad_check_digit_names_line_and_field() -> None:
    with pytest.raises(ExtractError) as info:
        validate_rows(fixture_rows("small-bad-check.csv"))
    assert [(e.line, e.field) for e in info.value.errors] == [(6, "id_number")]
    assert "350203197006150046" not in str(info.value)


def row(**changes: str) -> dict[str, str]:
    base = {"building": "1幢", "unit": "101", "certificate_no": "闽(2021)漳平市不动产权第1号",
            "owner_name": "陈明", "id_type": "居民身份证", "id_number": "350881198503120011",
            "co_ownership": "单独所有", "registered_area": "89.37", "surveyed_area": "",
            "contract_area": "", "status": "已登记", "usage": "住宅"}
    return base | changes


@pytest.mark.parametrize("changes,field,fragment", [
    ({"building": ""}, "building", "required"),
    ({"status": "在售"}, "status", "must be one of"),
    ({"usage": "厂房"}, "usage", "must be one of"),
    ({"registered_area": "89.375"}, "registered_area", "two decimal places"),
    ({"registered_area": "-1"}, "registered_area", "decimal number"),
    ({"registered_area": "0.00"}, "registered_area", "positive"),
    ({"registered_area": "1e3"}, "registered_area", "decimal number"),
    ({"registered_area": "1,234.5"}, "registered_area", "decimal number"),
    ({"registered_area": "", "surveyed_area": "80"}, "registered_area", "registered unit needs"),
    ({"status": "已交付未登记", "registered_area": ""}, "registered_area", "needs a registered"),
    ({"certificate_no": ""}, "certificate_no", "certificate number"),
    ({"owner_name": "", "id_type": "", "id_number": ""}, "owner_name", "needs its owner"),
    ({"owner_name": ""}, "owner_name", "required when any owner field"),
    ({"id_type": "军官证"}, "id_type", "unknown ID type"),
    ({"id_number": "350881198503120012"}, "id_number", "check character"),
    ({"co_ownership": ""}, "co_ownership", "required"),
    ({"co_ownership": "共有"}, "co_ownership", "must be one of"),
    ({"status": "未售"}, "id_type", "developer-held"),
])
def test_row_rules(changes, field, fragment) -> None:
    with pytest.raises(ExtractError) as info:
        validate_rows(parse_rows([row(), row(unit="102", **changes)]).rows)
    errors = info.value.errors
    assert any(e.line == 3 and e.field == field and fragment in e.message for e in errors), errors


@pytest.mark.parametrize("second,field,fragment", [
    ({"registered_area": "90.00"}, "registered_area", "differs from line 2"),
    ({"certificate_no": "其他"}, "certificate_no", "differs from line 2"),
    ({"owner_name": "林芳", "id_number": "350881198707220022"}, "co_ownership", "sole"),
    ({}, "id_number", "listed twice"),
    ({"unit": "102", "owner_name": "陈敏"}, "owner_name", "different name"),
])
def test_cross_row_rules(second, field, fragment) -> None:
    with pytest.raises(ExtractError) as info:
        validate_rows(parse_rows([row(), row(**second)]).rows)
    assert any(e.line == 3 and e.field == field and fragment in e.message
               for e in info.value.errors), info.value.errors


def test_an_ownerless_unit_listed_twice_is_refused() -> None:
    unsold = row(status="未售", owner_name="", id_type="", id_number="", co_ownership="",
                 certificate_no="", registered_area="", surveyed_area="90")
    with pytest.raises(ExtractError) as info:
        validate_rows(parse_rows([unsold, unsold]).rows)
    assert [(e.line, e.field) for e in info.value.errors] == [(3, "unit")]
    mixed = [unsold, unsold | {"owner_name": "某开发公司", "id_type": "统一社会信用代码",
                               "id_number": "91350881MA2YQC1K56", "co_ownership": "单独所有"}]
    with pytest.raises(ExtractError, match="with and without an owner"):
        validate_rows(parse_rows(mixed).rows)


def test_ambiguous_labels_are_refused() -> None:
    rows = [row(building="1-2", unit="3"),
            row(building="1", unit="2-3", certificate_no="x2", owner_name="林芳",
                id_number="350881198707220022")]
    with pytest.raises(ExtractError, match="ambiguous"):
        validate_rows(parse_rows(rows).rows)


def test_every_error_is_reported_up_to_the_cap() -> None:
    rows = [row(unit=str(n), registered_area="bad", usage="?") for n in range(MAX_ERRORS)]
    with pytest.raises(ExtractError) as info:
        validate_rows(parse_rows(rows).rows)
    assert info.value.total == 2 * MAX_ERRORS
    assert len(info.value.errors) == MAX_ERRORS
    assert info.value.errors[0].line == 2 and info.value.errors[-1].line == MAX_ERRORS // 2 + 1


def test_developer_units_may_have_no_owner_or_an_organisation() -> None:
    rows = [row(),
            row(unit="102", status="未售", owner_name="", id_type="", id_number="",
                co_ownership="", certificate_no="", registered_area="", surveyed_area="90"),
            row(unit="103", status="已售未交付", owner_name="某开发公司",
                id_type="统一社会信用代码",
                id_number="91350881MA2YQC1K56", certificate_no="", registered_area="",
                contract_area="95.5")]
    extract = validate_rows(parse_rows(rows).rows)
    assert [len(u.owners) for u in extract.units] == [1, 0, 1]


def test_areas_accept_full_width_digits_and_one_place() -> None:
    extract = validate_rows(parse_rows([row(registered_area="８９.５")]).rows)
    assert str(extract.units[0].registered_area) == "89.50"
