"""Identity-document numbers: normalisation, check characters and format checks.

* 居民身份证 — GB 11643-1999: 6-digit region code, 8-digit birth date,
  3-digit sequence, and an ISO 7064 MOD 11-2 check character (0-9 or X).
* 统一社会信用代码 — GB 32100-2015: 18 characters from a 31-symbol alphabet
  (digits and capital letters without I, O, Z, S, V); the last is a MOD 31
  check character over the first 17.
* Passports and mainland travel permits: format checks only (no public check
  digit).

Normalisation (also the input to the keyed hash, see ``identity.keyed``):
Unicode NFKC (full-width ``３５０８`` becomes ``3508``), every whitespace
removed, upper case.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from operator import mul

from identity import vocab
from identity.errors import IdNumberError

# --- GB 11643 -------------------------------------------------------------------------------

_RESIDENT_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_RESIDENT_CHECK = "10X98765432"  # index: weighted sum mod 11
_RESIDENT_RE = re.compile(r"[0-9]{17}[0-9X]")
#: First two digits of a region code: provinces (11-65), Taiwan 71, Hong Kong 81, Macao 82,
#: and 83 for the residence permits of Taiwan residents.
_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 "
    "64 65 71 81 82 83".split()
)


def resident_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise IdNumberError("a resident ID body is 17 digits")
    return _RESIDENT_CHECK[sum(map(mul, map(int, first17), _RESIDENT_WEIGHTS)) % 11]


def validate_resident_id(number: str) -> None:
    if not _RESIDENT_RE.fullmatch(number):
        raise IdNumberError("居民身份证 must be 17 digits and a check character (0-9 or X)")
    if number[:2] not in _PROVINCES:
        raise IdNumberError("居民身份证 region code is not a known province")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError("居民身份证 birth date is not a calendar date") from None
    if birth.year < 1850 or birth > dt.date.today():
        raise IdNumberError("居民身份证 birth date is out of range")
    if resident_check_char(number[:17]) != number[17]:
        raise IdNumberError("居民身份证 check character is wrong (GB 11643)")


# --- GB 32100 -------------------------------------------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_RE = re.compile(rf"[{USCC_ALPHABET}]{{2}}[0-9]{{6}}[{USCC_ALPHABET}]{{10}}")


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    if len(first17) != 17 or any(c not in _USCC_VALUE for c in first17):
        raise IdNumberError("a 统一社会信用代码 body is 17 characters of its alphabet")
    total = sum(map(mul, map(_USCC_VALUE.__getitem__, first17), _USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(number: str) -> None:
    if not _USCC_RE.fullmatch(number):
        raise IdNumberError(
            "统一社会信用代码 must be 18 characters of 0-9 and A-Y without I, O, Z, S, V, "
            "with a 6-digit region code in positions 3-8"
        )
    if uscc_check_char(number[:17]) != number[17]:
        raise IdNumberError("统一社会信用代码 check character is wrong (GB 32100)")


# --- format-only documents ------------------------------------------------------------------

_PASSPORT_RE = re.compile(r"[A-Z0-9]{5,17}")
_HK_MACAO_RE = re.compile(r"[HM][0-9]{8}(?:[0-9]{2})?")
_TAIWAN_RE = re.compile(r"[0-9]{8}(?:[0-9]{2})?")


def validate_passport(number: str) -> None:
    if not _PASSPORT_RE.fullmatch(number) or not any(c.isdigit() for c in number):
        raise IdNumberError("护照 number must be 5-17 letters and digits, with at least one digit")


def validate_hk_macao_permit(number: str) -> None:
    if not _HK_MACAO_RE.fullmatch(number):
        raise IdNumberError("港澳居民来往内地通行证 number must be H or M and 8 (or 10) digits")


def validate_taiwan_permit(number: str) -> None:
    if not _TAIWAN_RE.fullmatch(number):
        raise IdNumberError("台湾居民来往大陆通行证 number must be 8 (or 10) digits")


_VALIDATORS = {
    vocab.RESIDENT_ID: validate_resident_id,
    vocab.USCC: validate_uscc,
    vocab.PASSPORT: validate_passport,
    vocab.HK_MACAO_PERMIT: validate_hk_macao_permit,
    vocab.TAIWAN_PERMIT: validate_taiwan_permit,
}


# --- public API -----------------------------------------------------------------------------


def normalise_number(number: str) -> str:
    """NFKC, every whitespace character removed, upper case."""
    if number.isascii():  # NFKC leaves ASCII alone; the common case, kept fast
        return "".join(number.split()).upper()
    text = unicodedata.normalize("NFKC", number)
    # NFKC again: removing spaces or upper-casing can leave a combining mark to compose
    return unicodedata.normalize("NFKC", "".join(text.split()).upper())


def id_type_code(id_type: str) -> str:
    """The English code of an ID type given in English or Chinese."""
    code = vocab.ID_TYPES.get(id_type) or vocab.ID_TYPES.get(
        unicodedata.normalize("NFKC", id_type).strip())
    if code is None:
        raise IdNumberError(
            "unknown ID type; expected one of " + ", ".join(sorted(vocab.ID_TYPE_ZH.values()))
        )
    return code


def validate(id_type: str, number: str) -> tuple[str, str]:
    """Check ``number`` for ``id_type``; return ``(type code, normalised number)``.

    Raises :class:`IdNumberError` naming the rule that failed (never the number).
    """
    code = id_type_code(id_type)
    normalised = normalise_number(number)
    if not normalised:
        raise IdNumberError("ID number is empty")
    _VALIDATORS[code](normalised)
    return code, normalised


def is_organisation(id_type_code_: str) -> bool:
    return id_type_code_ in vocab.ORGANISATION_ID_TYPES
