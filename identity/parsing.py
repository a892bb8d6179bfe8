"""Reading registry extracts: bytes → text → header-mapped rows with their file lines.

Encodings: UTF-8 (with or without a byte-order mark) or GB18030 (a superset
of GBK/GB2312, which government exports often use).  A file that decodes as
strict UTF-8 is UTF-8; otherwise it must decode as GB18030 — a GBK file that
also decodes as UTF-8 is practically impossible for Chinese text, because
GBK's two-byte sequences are not valid UTF-8 continuation patterns.

Formats: CSV (header row, comma-separated, RFC 4180 quoting) or JSON (an
array of objects, or ``{"rows": [...]}``).  A file whose first non-blank
character is ``[`` or ``{`` is JSON.

Line numbers are those of the file: the CSV header is line 1 and a record
spanning several physical lines is reported at its first; a JSON object is
reported at the line where its ``{`` stands.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from identity import vocab
from identity.errors import ExtractFormatError, RowError


@dataclass(frozen=True, slots=True)
class RawRow:
    """One extract row: its file line and its column values as stripped strings;
    ``trimmed`` names the columns whose value had spaces at either end."""

    line: int
    values: Mapping[str, str]
    trimmed: frozenset[str] = frozenset()


@dataclass
class ParsedExtract:
    rows: list[RawRow]
    encoding: str  # utf-8, utf-8-sig, gb18030, or "rows" for in-memory dicts
    format: str  # csv, json, rows
    ignored_columns: tuple[str, ...] = ()
    errors: list[RowError] = field(default_factory=list)


ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Return ``(text, encoding)``; raise :class:`ExtractFormatError` if neither fits.

    ``encoding`` forces one of :data:`ENCODINGS` (for the rare GB18030 file whose
    bytes also happen to be valid UTF-8: only possible when it has very few
    non-ASCII characters, never with Chinese headers).
    """
    if encoding is not None:
        if encoding not in ENCODINGS:
            raise ExtractFormatError(f"encoding must be one of {', '.join(ENCODINGS)}")
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            raise ExtractFormatError(f"the file is not valid {encoding} (byte offset "
                                     f"{exc.start})", line=data[: exc.start].count(b"\n") + 1
                                     ) from None
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise ExtractFormatError(
                f"file starts with a UTF-8 byte-order mark but byte {exc.start + 3} is not UTF-8"
            ) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ExtractFormatError("UTF-16 files are not accepted; save as UTF-8 or GB18030")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ExtractFormatError(
            f"the file is neither UTF-8 nor GB18030/GBK (undecodable byte at offset {exc.start})",
            line=line,
        ) from None


def column_of(header: str) -> str | None:
    """Map an English or Chinese header to its column name, or ``None`` if unknown."""
    name = unicodedata.normalize("NFKC", header).strip()
    if name in vocab.COLUMNS:
        return name
    lowered = name.lower()
    if lowered in vocab.COLUMNS:
        return lowered
    return vocab.CHINESE_HEADERS.get(name)


def _text(value: object, line: int, key: str, errors: list[RowError]) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        errors.append(RowError(line, key, "must be text, not true/false"))
        return ""
    if isinstance(value, int | Decimal):
        return str(value)
    errors.append(RowError(line, key, f"must be text, not a JSON {type(value).__name__}"))
    return ""


def _map_header(headers: Iterable[str], line: int) -> tuple[list[str | None], list[str],
                                                             list[RowError]]:
    mapped: list[str | None] = []
    ignored: list[str] = []
    errors: list[RowError] = []
    seen: dict[str, str] = {}
    for header in headers:
        column = column_of(header)
        if column is None:
            ignored.append(header.strip())
        elif column in seen:
            errors.append(RowError(line, column, f"column given twice ({seen[column]!r} and "
                                                 f"{header.strip()!r})"))
            column = None
        else:
            seen[column] = header.strip()
        mapped.append(column)
    return mapped, ignored, errors


def parse_csv(text: str) -> tuple[list[RawRow], tuple[str, ...], list[RowError]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ExtractFormatError("the file is empty", line=1) from None
    except csv.Error as exc:
        raise ExtractFormatError(f"CSV header cannot be read: {exc}", line=1) from None
    columns, ignored, errors = _map_header(header, 1)
    missing = [c for c in vocab.COLUMNS if c not in columns]
    if missing:
        errors.append(RowError(1, ", ".join(missing), "required column missing from the header"))
        raise ExtractFormatError(errors)
    if errors:
        raise ExtractFormatError(errors)
    rows: list[RawRow] = []
    start = reader.line_num + 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(start, "", f"CSV record cannot be read: {exc}"))
            break
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue  # blank line
        if len(record) != len(columns):
            errors.append(RowError(line, "", f"has {len(record)} fields, the header has "
                                             f"{len(columns)}"))
            continue
        values = {c: cell.strip() for c, cell in zip(columns, record, strict=True) if c}
        trimmed = frozenset(c for c, cell in zip(columns, record, strict=True)
                            if c and cell and cell != values[c])
        rows.append(RawRow(line, values, trimmed))
    return rows, tuple(ignored), errors


def _json_objects(text: str) -> Iterator[tuple[int, object]]:
    """Yield ``(line, object)`` for each element of the top-level rows array."""
    decoder = json.JSONDecoder(parse_float=Decimal)
    i = _skip_ws(text, 0)
    if text.startswith("{", i):
        # {"rows": [...]}: find the array after the "rows" key without decoding the rest twice
        try:
            whole = decoder.decode(text)
        except json.JSONDecodeError as exc:
            raise ExtractFormatError(f"invalid JSON: {exc.msg}", line=exc.lineno) from None
        if not isinstance(whole, dict) or not isinstance(whole.get("rows"), list):
            raise ExtractFormatError('a JSON object extract needs a "rows" array', line=1)
        key = text.find('"rows"')
        i = _skip_ws(text, text.find(":", key) + 1)
    if not text.startswith("[", i):
        raise ExtractFormatError("a JSON extract is an array of row objects", line=1)
    i = _skip_ws(text, i + 1)
    if text.startswith("]", i):
        return
    while True:
        try:
            obj, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            raise ExtractFormatError(f"invalid JSON: {exc.msg}", line=exc.lineno) from None
        yield text.count("\n", 0, i) + 1, obj
        i = _skip_ws(text, end)
        if text.startswith(",", i):
            i = _skip_ws(text, i + 1)
        elif text.startswith("]", i):
            return
        else:
            raise ExtractFormatError("invalid JSON: expected ',' or ']' between rows",
                                     line=text.count("\n", 0, i) + 1)


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def parse_records(records: Iterable[tuple[int, object]]) -> tuple[list[RawRow], tuple[str, ...],
                                                                 list[RowError]]:
    """Map JSON objects or in-memory dicts (English or Chinese keys) to rows."""
    rows: list[RawRow] = []
    ignored: dict[str, None] = {}
    errors: list[RowError] = []
    for line, obj in records:
        if not isinstance(obj, Mapping):
            errors.append(RowError(line, "", "each row must be an object"))
            continue
        values: dict[str, str] = {}
        for key, value in obj.items():
            column = column_of(str(key))
            if column is None:
                ignored[str(key)] = None
                continue
            if column in values:
                errors.append(RowError(line, column, "given twice (English and Chinese keys)"))
                continue
            values[column] = _text(value, line, column, errors)
        trimmed = frozenset(column for key, value in obj.items()
                            if (column := column_of(str(key))) is not None
                            and isinstance(value, str) and value != value.strip())
        for column in vocab.COLUMNS:
            values.setdefault(column, "")
        rows.append(RawRow(line, values, trimmed))
    return rows, tuple(ignored), errors


def parse_bytes(data: bytes, encoding: str | None = None) -> ParsedExtract:
    """Decode and parse a CSV or JSON extract; structural problems are in ``errors``."""
    text, encoding = decode(data, encoding)
    first = text[_skip_ws(text, 0) : _skip_ws(text, 0) + 1]
    if first in ("[", "{"):
        rows, ignored, errors = parse_records(_json_objects(text))
        return ParsedExtract(rows, encoding, "json", ignored, errors)
    rows, ignored, errors = parse_csv(text)
    return ParsedExtract(rows, encoding, "csv", ignored, errors)


def parse_rows(rows: Iterable[Mapping[str, object]]) -> ParsedExtract:
    """In-memory rows (e.g. :func:`identity.synthetic.demo_extract`); line = index + 2,
    as if the rows had been written under a header line."""
    parsed, ignored, errors = parse_records((n + 2, r) for n, r in enumerate(rows))
    return ParsedExtract(parsed, "rows", "rows", ignored, errors)
