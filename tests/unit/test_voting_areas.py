"""Areas: exact parsing, the registered → surveyed → contract precedence, formatting."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voting import AreaError, AreaSource, Measure, format_area, parse_area, pick_area
from voting.areas import MAX_AREA_DIGITS, from_hundredths, to_hundredths


@pytest.mark.parametrize(
    ("text", "expected"),
    [("89.5", "89.50"), ("89.50", "89.50"), ("100", "100.00"), ("0.01", "0.01"), ("7.100", "7.10")],
)
def test_parse_area_accepts_plain_decimals(text: str, expected: str) -> None:
    assert format_area(parse_area(text)) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("89.505", "more than two decimal places"),
        ("0", "must be positive"),
        ("0.00", "must be positive"),
        ("-5", "-5 is negative"),
        ("1" + "0" * 5000, "larger than any unit"),
        ("1.0000000000000000000000000000001", "more than two decimal places"),
        ("1." + "0" * 5000 + "1", "more than two decimal places"),
        ("1e3", "not a decimal area"),
        ("NaN", "not a decimal area"),
        (" 89.5", "not a decimal area"),
        ("", "not a decimal area"),
        (89.5, "decimal string"),
        (90, "decimal string"),
        (None, "decimal string"),
    ],
)
def test_parse_area_refuses(value: object, message: str) -> None:
    with pytest.raises(AreaError, match=message) as info:
        parse_area(value, "units[3].registered_area")
    assert str(info.value).startswith("units[3].registered_area")


def test_to_hundredths_refuses_float_and_third_decimal() -> None:
    with pytest.raises(AreaError, match="Decimal"):
        to_hundredths(89.5)  # type: ignore[arg-type]
    with pytest.raises(AreaError, match="more than two"):
        to_hundredths(Decimal("1.001"))
    with pytest.raises(AreaError, match="finite"):
        to_hundredths(Decimal("Infinity"))


def test_precedence_registered_then_surveyed_then_contract() -> None:
    d = Decimal
    assert pick_area(d("80"), d("81"), d("82")) == (d("80.00"), AreaSource.REGISTERED)
    assert pick_area(None, d("81"), d("82")) == (d("81.00"), AreaSource.SURVEYED)
    assert pick_area(None, None, d("82")) == (d("82.00"), AreaSource.CONTRACT)
    with pytest.raises(AreaError, match="no registered, surveyed or contract area"):
        pick_area(None, None, None, 'unit "1-101"')
    with pytest.raises(AreaError, match="registered_area.*positive"):
        pick_area(d("0"), d("81"), None)


def test_measure_json_is_exact() -> None:
    assert Measure.of(12345, 3).to_json() == {"area": "123.45", "heads": 3}
    assert Measure.of(10**20 + 1, 1).to_json()["area"] == "1000000000000000000.01"


@given(st.integers(min_value=1, max_value=10 ** (MAX_AREA_DIGITS + 2) - 1))
def test_parse_format_round_trip(hundredths: int) -> None:
    text = format_area(from_hundredths(hundredths))
    assert to_hundredths(parse_area(text)) == hundredths
    assert format_area(parse_area(text)) == text
