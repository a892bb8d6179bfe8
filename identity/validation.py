"""Validating extract rows and grouping them into units with their owners.

Pure: no database, no keys.  Every problem is collected (up to
:data:`MAX_ERRORS`, the rest counted) with its file line and field, so that
the committee can fix an extract in one pass.  Messages never quote a name or
an ID number.

Rules (see docs/identity.md for the full table):

* building and unit are required; ``building-unit`` labels must be unique;
* status, usage are required and known; co-ownership is required when an
  owner is given;
* areas are positive decimals with at most two places; at least one of the
  three; a registered unit has a registered area and a certificate number;
* every row of one unit gives the same certificate, co-ownership, areas,
  status and usage; a sole-owned unit has one owner; an owner appears once
  per unit;
* owner name, ID type and ID number come together, and the number passes its
  document's check (GB 11643 / GB 32100 / format);
* registered and delivered units need an owner; developer-held units
  (unsold, sold but undelivered) have no owner or a legal person (统一社会
  信用代码) — the developer;
* one ID number has one name throughout the extract.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from identity import idnumbers, vocab
from identity.errors import ExtractError, IdNumberError, RowError
from identity.parsing import RawRow
from voting.text import describe, hidden_character, normalise_identifier
from voting.textlimits import LIMITS, TextField

#: At most this many problems are listed; the rest are counted.
MAX_ERRORS = 200
MAX_NAME = LIMITS[TextField.PERSON_NAME]
MAX_LABEL = LIMITS[TextField.UNIT_LABEL]  # a building's name and a unit's number
MAX_CERTIFICATE = 100

_AREA_RE = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,2})?")
_UNIT_FIELDS = ("certificate_no", "co_ownership", "registered_area", "surveyed_area",
                "contract_area", "status", "usage")

OwnerKey = tuple[str, str]  # (ID type code, normalised number)


@dataclass(frozen=True, slots=True)
class ExtractOwner:
    key: OwnerKey
    name: str
    line: int

    @property
    def organisation(self) -> bool:
        return idnumbers.is_organisation(self.key[0])


@dataclass
class ExtractUnit:
    building: str
    number: str
    line: int
    status: str
    usage: str
    co_ownership: str
    certificate_no: str
    registered_area: Decimal | None
    surveyed_area: Decimal | None
    contract_area: Decimal | None
    owners: list[OwnerKey] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.building}-{self.number}"


@dataclass
class ValidatedExtract:
    rows: int
    units: list[ExtractUnit]
    owners: dict[OwnerKey, ExtractOwner]
    warnings: list[str]


#: Identifier columns: refused with a hidden character, normalised with a warning.
IDENTIFIERS = ("building", "unit", "owner_name", "id_number", "certificate_no")
#: Columns whose values a warning may quote (never a name or a number of a person).
QUOTABLE = ("building", "unit")
#: At most this many normalisation warnings are listed; the rest are counted.
MAX_NORMALISED = 100


class _Errors:
    def __init__(self) -> None:
        self.items: list[RowError] = []
        self.total = 0
        self.normalised: list[str] = []
        self.normalised_total = 0

    def normalised_value(self, line: int, column: str, before: str, after: str) -> None:
        self.normalised_total += 1
        if len(self.normalised) < MAX_NORMALISED:
            if column not in QUOTABLE:
                what = "read in its normal form (full-width characters, spaces or case)"
            elif before == after:  # only spaces at either end, already cut by the parser
                what = f"{after!r} had spaces at either end (removed)"
            else:
                what = f"{before!r} read as {after!r}"
            self.normalised.append(f"line {line}: {column} {what}")

    def add(self, line: int, column: str, message: str) -> None:
        self.total += 1
        if len(self.items) < MAX_ERRORS:
            self.items.append(RowError(line, column, message))


def _clean(value: str) -> str:
    if not unicodedata.is_normalized("NFKC", value):
        value = unicodedata.normalize("NFKC", value)
    return " ".join(value.split())


def parse_area(text: str) -> Decimal:
    """A positive area with at most two decimal places; ``ValueError`` says why not."""
    value = text.strip() if text.isascii() else unicodedata.normalize("NFKC", text).strip()
    if not _AREA_RE.fullmatch(value):
        raise ValueError("must be a decimal number of square metres with at most two decimal "
                         "places, like 89.37")
    area = Decimal(value)
    if area <= 0:
        raise ValueError("must be positive")
    return area.quantize(Decimal("0.01"))


def _lookup(table: Mapping[str, str], value: str) -> str | None:
    found = table.get(value)  # the common case: an exact registry wording
    if found is None:
        cleaned = _clean(value)
        found = table.get(cleaned) or table.get(cleaned.lower())
    return found


def _identifiers(row: RawRow, errors: _Errors) -> dict[str, str] | None:
    """The row's values with its identifiers normalised (each change noted for a warning),
    or ``None`` if one holds a hidden character (an error)."""
    values = dict(row.values)
    ok = True
    for column in IDENTIFIERS:
        text = values.get(column, "")
        found = hidden_character(text)
        if found is not None:
            errors.add(row.line, column, f"character {found[0]} is {describe(found[1])}, an "
                                         "invisible or direction-changing character; remove it")
            ok = False
            continue
        if column == "id_number":
            continue  # normalised by its document's check (idnumbers.validate), noted there
        normal = normalise_identifier(text)
        if normal != text or column in row.trimmed:
            errors.normalised_value(row.line, column, text, normal)
        values[column] = normal
    return values if ok else None


def _row(row: RawRow, errors: _Errors) -> tuple[ExtractUnit, ExtractOwner | None] | None:
    v, line, ok = _identifiers(row, errors), row.line, True
    if v is None:
        return None
    building, number = _clean(v.get("building", "")), _clean(v.get("unit", ""))
    for column, text in (("building", building), ("unit", number)):
        if not text:
            errors.add(line, column, "is required")
            ok = False
        elif len(text) > MAX_LABEL:
            errors.add(line, column, f"is longer than {MAX_LABEL} characters")
            ok = False
    status = _lookup(vocab.STATUSES, v.get("status", ""))
    if status is None:
        errors.add(line, "status", "must be one of 已登记, 已交付未登记, 未售, 已售未交付 "
                                   "(registered, delivered, unsold, sold_undelivered)")
        ok = False
    usage = _lookup(vocab.USAGES, v.get("usage", ""))
    if usage is None:
        errors.add(line, "usage", "must be one of 住宅, 商业, 办公, 车位, 储藏室")
        ok = False
    areas: dict[str, Decimal | None] = {}
    for column in ("registered_area", "surveyed_area", "contract_area"):
        text = v.get(column, "").strip()
        areas[column] = None
        if text:
            try:
                areas[column] = parse_area(text)
            except ValueError as exc:
                errors.add(line, column, str(exc))
                ok = False
    if ok and all(a is None for a in areas.values()):
        errors.add(line, "registered_area", "a unit needs a registered, surveyed or contract area")
        ok = False
    certificate = _clean(v.get("certificate_no", ""))
    if len(certificate) > MAX_CERTIFICATE:
        errors.add(line, "certificate_no", f"is longer than {MAX_CERTIFICATE} characters")
        ok = False
    if status == vocab.REGISTERED:
        if not certificate:
            errors.add(line, "certificate_no", "a registered unit needs its certificate number")
            ok = False
        if v.get("registered_area", "").strip() == "":
            errors.add(line, "registered_area", "a registered unit needs its registered area")
            ok = False

    owner = _owner(v, line, status, errors, "id_number" in row.trimmed)
    if owner is False:
        return None
    co_text = v.get("co_ownership", "").strip()
    co_ownership = _lookup(vocab.CO_OWNERSHIP, co_text) if co_text else None
    if co_text and co_ownership is None:
        errors.add(line, "co_ownership", "must be one of 单独所有, 共同共有, 按份共有")
        ok = False
    elif owner is not None and co_ownership is None:
        errors.add(line, "co_ownership", "is required when an owner is given")
        ok = False
    if not ok or status is None or usage is None:
        return None
    unit = ExtractUnit(building, number, line, status, usage, co_ownership or vocab.SOLE,
                       certificate, areas["registered_area"], areas["surveyed_area"],
                       areas["contract_area"])
    return unit, owner


def _owner(v: Mapping[str, str], line: int, status: str | None, errors: _Errors,
           number_trimmed: bool = False) -> ExtractOwner | None | Literal[False]:
    """The row's owner, ``None`` if the row has none, ``False`` if it is invalid."""
    name = _clean(v.get("owner_name", ""))
    id_type, id_number = v.get("id_type", "").strip(), v.get("id_number", "").strip()
    if not (name or id_type or id_number):
        if status in (vocab.REGISTERED, vocab.DELIVERED):
            errors.add(line, "owner_name", "a registered or delivered unit needs its owner")
            return False
        return None
    ok = True
    for column, text in (("owner_name", name), ("id_type", id_type), ("id_number", id_number)):
        if not text:
            errors.add(line, column, "is required when any owner field is given")
            ok = False
    if len(name) > MAX_NAME:
        errors.add(line, "owner_name", f"is longer than {MAX_NAME} characters")
        ok = False
    if not ok:
        return False
    try:
        code = idnumbers.id_type_code(id_type)
    except IdNumberError as exc:
        errors.add(line, "id_type", str(exc))
        return False
    try:
        code, number = idnumbers.validate(code, id_number)
    except IdNumberError as exc:
        errors.add(line, "id_number", str(exc))
        return False
    if number != id_number or number_trimmed:
        errors.normalised_value(line, "id_number", id_number, number)
    if status in vocab.DEVELOPER_STATUSES and not idnumbers.is_organisation(code):
        errors.add(line, "id_type", "a developer-held unit (未售/已售未交付) has no owner or the "
                                    "developer's 统一社会信用代码, not a person")
        return False
    return ExtractOwner((code, number), name, line)


def validate_rows(rows: Sequence[RawRow], prior: Sequence[RowError] = (),
                  progress: Callable[[int], None] | None = None) -> ValidatedExtract:
    """Validate and group ``rows``; raise :class:`ExtractError` listing every problem."""
    errors = _Errors()
    for e in prior:
        errors.add(e.line, e.field, e.message)
    units: dict[tuple[str, str], ExtractUnit] = {}
    owners: dict[OwnerKey, ExtractOwner] = {}
    labels: dict[str, tuple[str, str]] = {}
    warnings: list[str] = []
    for n, row in enumerate(rows, 1):
        if progress is not None and n % 1000 == 0:
            progress(1000)
        result = _row(row, errors)
        if result is None:
            continue
        unit, owner = result
        key = (unit.building, unit.number)
        known = units.get(key)
        if known is None:
            other = labels.setdefault(unit.label, key)
            if other != key:
                errors.add(row.line, "unit", f"label {unit.label} is ambiguous with another "
                                             "building/unit pair")
                continue
            units[key] = known = unit
        else:
            for column in _UNIT_FIELDS:
                attr = "number" if column == "unit" else column
                if getattr(unit, attr) != getattr(known, attr):
                    errors.add(row.line, column, f"differs from line {known.line} for the same "
                                                 f"unit {unit.label}")
            if owner is None and not known.owners:
                errors.add(row.line, "unit", f"unit {unit.label} is listed again without an "
                                             f"owner (line {known.line})")
                continue
            if (owner is None) != (not known.owners):
                errors.add(row.line, "owner_name", f"unit {unit.label} has rows with and "
                                                   "without an owner")
                continue
        if owner is None:
            continue
        first = owners.setdefault(owner.key, owner)
        if first.name != owner.name:
            errors.add(row.line, "owner_name", f"the same ID number is on line {first.line} "
                                               "with a different name")
        if owner.key in known.owners:
            errors.add(row.line, "id_number", f"the same owner is listed twice for unit "
                                              f"{unit.label}")
            continue
        if known.owners and known.co_ownership == vocab.SOLE:
            errors.add(row.line, "co_ownership", f"unit {unit.label} is 单独所有 (sole) but has "
                                                 "several owners")
        known.owners.append(owner.key)
    if progress is not None:
        progress(len(rows) % 1000)
    for unit in units.values():
        if unit.co_ownership != vocab.SOLE and len(unit.owners) == 1:
            warnings.append(f"line {unit.line}: unit {unit.label} is co-owned "
                            f"({vocab.CO_OWNERSHIP_ZH[unit.co_ownership]}) but lists one owner")
    developers = {k for u in units.values() if u.status in vocab.DEVELOPER_STATUSES
                  for k in u.owners}
    if len(developers) > 1:
        warnings.append(f"{len(developers)} different legal persons hold developer units; "
                        "they count together as one owner (SPC interpretation art. 9)")
    warnings += errors.normalised
    if errors.normalised_total > len(errors.normalised):
        warnings.append(f"{errors.normalised_total - len(errors.normalised)} more values were "
                        "read in their normal form")
    if errors.total:
        raise ExtractError(errors.items, errors.total)
    if not units:
        raise ExtractError([RowError(1, "", "the extract has no rows")])
    return ValidatedExtract(len(rows), list(units.values()), owners, warnings)
