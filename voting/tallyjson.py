"""Strict JSON for tally files: decoding, and the checked reads of its values.

A tally file comes from anywhere, so decoding refuses what could silently change a
count or crash a reader: duplicate keys, NaN/Infinity, floats (numbers become
:class:`~decimal.Decimal`), integers longer than :data:`MAX_INT_DIGITS` digits (Python
refuses to print integers over 4300 digits, and no count needs more than a few) and
strings holding lone surrogates (``"\\ud800"`` is valid JSON but not Unicode text: it
cannot be hashed into a head id or printed).  Every refusal is a
:class:`~voting.errors.TallyFileError` naming where the value is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from voting.errors import TallyFileError

#: The most digits an integer of a tally file may have (a count of days, seats, a time).
MAX_INT_DIGITS = 20


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise TallyFileError("", f'duplicate key "{shown(key)}" in a JSON object')
            seen.add(key)
    return result


def _no_constant(name: str) -> Any:
    raise TallyFileError("", f"{name} is not allowed in a tally file")


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise TallyFileError("", f"a number {len(text.lstrip('-'))} digits long is not allowed "
                                 f"(at most {MAX_INT_DIGITS} digits)")
    return int(text)


def loads(text: str | bytes, source: str = "FILE") -> Any:
    """Decode JSON strictly (see the module doc); errors name ``source`` and the position."""
    try:
        data = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_float=Decimal,
            parse_int=_bounded_int,
            parse_constant=_no_constant,
        )
    except json.JSONDecodeError as exc:
        raise TallyFileError(
            f"{source}:{exc.lineno}:{exc.colno}", f"malformed JSON: {exc.msg}"
        ) from None
    except UnicodeDecodeError as exc:
        raise TallyFileError(source, f"not UTF-8 text ({exc.reason})") from None
    except TallyFileError as exc:
        raise TallyFileError(source, exc.detail) from None
    _refuse_surrogates(data)
    return data


def _refuse_surrogates(data: Any) -> None:
    """Refuse a string (value or key) holding a lone surrogate, naming its JSON path."""
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            _unicode(value, path or "the file")
        elif isinstance(value, list):
            stack.extend((entry, f"{path}[{index}]") for index, entry in enumerate(value))
        elif isinstance(value, dict):
            for key, entry in value.items():
                _unicode(key, f"{path} key" if path else "a key")
                stack.append((entry, f"{path}.{key}" if path else key))


def _unicode(text: str, path: str) -> None:
    for ch in text:
        if "\ud800" <= ch <= "\udfff":
            raise TallyFileError(path, f"{shown(text)} holds a lone surrogate "
                                       f"(\\u{ord(ch):04x}), which is not Unicode text")


def shown(text: str) -> str:
    """``text`` fit for a one-line message: at most 40 characters, surrogates escaped."""
    if len(text) > 40:
        text = f"{text[:20]}…({len(text)} characters)"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def kind_of(value: Any) -> str:
    """A value in words for messages (short whatever the value)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"' if len(value) <= 40 else "a string"
    if isinstance(value, int | Decimal):
        text = str(value)
        return f"the number {text}" if len(text) <= 40 else f"a number of {len(text)} characters"
    return {"list": "a list", "dict": "an object"}.get(type(value).__name__, type(value).__name__)


def json_object(value: Any, path: str, keys: frozenset[str]) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise TallyFileError(path, f"expected an object, got {kind_of(value)}")
    for key in value:
        if key not in keys:
            raise TallyFileError(
                path, f'unknown key "{shown(key)}" (allowed: {", ".join(sorted(keys))})')
    return value


def json_list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise TallyFileError(path, f"expected a list, got {kind_of(value)}")
    return value


def text(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise TallyFileError(path, f"expected a non-empty string, got {kind_of(value)}")
    return value


def strings(value: Any, path: str, *, unique: bool = True) -> list[str]:
    items = json_list(value, path)
    seen: set[str] = set()
    for index, entry in enumerate(items):
        text(entry, f"{path}[{index}]")
        if unique and entry in seen:
            raise TallyFileError(f"{path}[{index}]", f'"{entry}" listed twice')
        seen.add(entry)
    return items
