"""ID-number validators (GB 11643, GB 32100, formats), normalisation, keyed hashes, masking."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from identity import idnumbers
from identity.errors import IdNumberError
from identity.keyed import KeyedHasher, normalise_name
from identity.masking import mask_id, mask_name, mask_phone

# Independent re-statement of the check rules (not imported from the code under test).
RESIDENT_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def resident_check(body: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(body, RESIDENT_WEIGHTS, strict=True)) % 11]


def uscc_check(body: str) -> str:
    s = sum(USCC_CHARS.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - s % 31) % 31]


resident_ids = st.builds(
    lambda region, birth, seq: (b := f"{region}{birth:%Y%m%d}{seq:03d}") + resident_check(b),
    st.sampled_from(["110105", "350881", "350203", "440304", "650102", "810000"]),
    st.dates(dt.date(1900, 1, 1), dt.date(2020, 12, 31)),
    st.integers(0, 999),
)
usccs = st.builds(
    lambda head, region, rest: (b := head + region + rest) + uscc_check(b),
    st.sampled_from(["91", "92", "93", "11", "12", "51", "52", "Y1"]),
    st.from_regex(r"[0-9]{6}", fullmatch=True),
    st.text(USCC_CHARS, min_size=9, max_size=9),
)


@given(resident_ids)
def test_valid_resident_ids_pass(number: str) -> None:
    assert idnumbers.validate("居民身份证", number) == ("resident_id", number)


@given(resident_ids, st.integers(0, 17), st.integers(1, 9))
def test_one_changed_character_of_a_resident_id_is_caught(number: str, pos: int,
                                                          delta: int) -> None:
    alphabet = "0123456789X" if pos == 17 else "0123456789"
    old = alphabet.index(number[pos])
    changed = number[:pos] + alphabet[(old + delta) % len(alphabet)] + number[pos + 1 :]
    with pytest.raises(IdNumberError):
        idnumbers.validate("resident_id", changed)


@given(usccs)
def test_valid_uscc_pass(number: str) -> None:
    assert idnumbers.validate("统一社会信用代码", number) == ("uscc", number)


@given(usccs, st.integers(0, 17), st.integers(1, 30))
def test_one_changed_character_of_a_uscc_is_caught(number: str, pos: int, delta: int) -> None:
    changed_char = USCC_CHARS[(USCC_CHARS.index(number[pos]) + delta) % 31]
    changed = number[:pos] + changed_char + number[pos + 1 :]
    with pytest.raises(IdNumberError):
        idnumbers.validate("uscc", changed)


def test_published_examples() -> None:
    idnumbers.validate("居民身份证", "11010519491231002X")  # the GB 11643 example
    idnumbers.validate("统一社会信用代码", "91350100M000100Y43")
    with pytest.raises(IdNumberError, match="check character"):
        idnumbers.validate("居民身份证", "110105194912310021")


def test_normalisation_full_width_spaces_lower_case() -> None:
    assert idnumbers.validate("居民身份证", " １１０１０５ １９４９１２３１００２ｘ ") == (
        "resident_id", "11010519491231002X")


@pytest.mark.parametrize("id_type,number,fragment", [
    ("居民身份证", "1101051949123100", "17 digits"),
    ("居民身份证", "990105194912310026", "region code"),
    ("居民身份证", "110105194902300025", "calendar date"),
    ("统一社会信用代码", "91350100M000100YI3", "without I, O, Z, S, V"),
    ("护照", "E1", "5-17"),
    ("护照", "ABCDEFG", "at least one digit"),
    ("港澳居民来往内地通行证", "X12345678", "H or M"),
    ("台湾居民来往大陆通行证", "1234567", "8 (or 10) digits"),
    ("驾驶证", "123456", "unknown ID type"),
])
def test_bad_numbers_name_the_rule(id_type: str, number: str, fragment: str) -> None:
    with pytest.raises(IdNumberError) as info:
        idnumbers.validate(id_type, number)
    assert fragment in str(info.value)
    assert number not in str(info.value)


def test_format_only_documents() -> None:
    assert idnumbers.validate("护照", "e12345678") == ("passport", "E12345678")
    assert idnumbers.validate("港澳居民来往内地通行证", "H12345678")[0] == "hk_macao_permit"
    assert idnumbers.validate("台湾居民来往大陆通行证", "12345678")[0] == "taiwan_permit"


def test_keyed_hash_is_hmac_over_type_and_normalised_number() -> None:
    import hashlib
    import hmac

    key = b"k" * 32
    h = KeyedHasher(key)
    expected = hmac.new(key, b"ownervote/id/v1\x00resident_id\x0011010519491231002X",
                        hashlib.sha256).hexdigest()
    assert h.id_hash("resident_id", "11010519491231002x ") == expected
    assert h.id_hash("passport", "11010519491231002X") != expected
    assert KeyedHasher(b"j" * 32).id_hash("resident_id", "11010519491231002X") != expected


@given(st.text(min_size=1, max_size=20))
def test_normalisation_is_idempotent(text: str) -> None:
    assert normalise_name(normalise_name(text)) == normalise_name(text)
    assert idnumbers.normalise_number(idnumbers.normalise_number(text)) == \
        idnumbers.normalise_number(text)


def test_masks() -> None:
    assert mask_name("张三明") == "张*明"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳小明") == "欧**明"
    assert mask_name("李") == "*"
    assert mask_id("35088119900101123X") == "3508**********123X"
    assert mask_id("E12345678") == "E1*****78"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 138 1234 5678") == "*********5678"


@given(resident_ids)
def test_mask_hides_the_birth_date(number: str) -> None:
    masked = mask_id(number)
    assert len(masked) == 18 and masked[:4] == number[:4] and masked[-4:] == number[-4:]
    assert set(masked[4:14]) == {"*"}
