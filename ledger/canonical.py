"""Canonical JSON: RFC 8785 (JCS) restricted to what every platform agrees on.

Allowed values: strings, integers with ``|n| < 2**53``, booleans, ``null``,
arrays, and objects whose keys are ASCII strings.  No floats.  The encoding is
``JSON.stringify`` of the value with object keys sorted, which for this subset
is byte-identical to RFC 8785: no whitespace, keys in code-point order, strings
escaped only where JSON requires (``"`` ``\\`` and U+0000..U+001F, with the
short forms ``\\b \\t \\n \\f \\r`` and otherwise lowercase ``\\u00xx``), all
other characters written as UTF-8.

:func:`decode` accepts only bytes that :func:`encode` would produce, so two
independent parsers can never disagree about an entry (duplicate keys,
whitespace, escapes or number forms all change the bytes and are refused).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ledger.errors import EncodingError

MAX_INT = 2**53 - 1

_encoder = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
)


def _refuse_float(text: str) -> Any:
    raise EncodingError(f"number {text} is not an integer")


def _refuse_constant(text: str) -> Any:
    raise EncodingError(f"{text} is not allowed")


def _bounded_int(text: str) -> int:
    value = int(text)
    if abs(value) > MAX_INT:
        raise EncodingError(f"integer {text} outside +-(2^53-1)")
    return value


_decoder = json.JSONDecoder(
    parse_float=_refuse_float, parse_constant=_refuse_constant, parse_int=_bounded_int
)


def _check(value: Any, path: str) -> None:
    if value is None or isinstance(value, bool | str):
        return
    if isinstance(value, int):
        if abs(value) > MAX_INT:
            raise EncodingError(f"{path}: integer outside +-(2^53-1)")
        return
    if isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _check(v, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str) or not k.isascii():
                raise EncodingError(f"{path}: object key {k!r} is not an ASCII string")
            _check(v, f"{path}.{k}")
        return
    raise EncodingError(f"{path}: {type(value).__name__} has no canonical encoding")


def encode(value: Any) -> bytes:
    """The canonical bytes of ``value``; raises :class:`EncodingError` outside the subset."""
    _check(value, "$")
    try:
        return _encoder.encode(value).encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate
        raise EncodingError(f"string is not valid Unicode: {exc.reason}") from exc


def encode_unchecked(value: Any) -> bytes:
    """:func:`encode` for values already known to be in the subset (the hot path)."""
    return _encoder.encode(value).encode("utf-8")


def decode(data: bytes) -> Any:
    """Parse canonical bytes; raise :class:`EncodingError` unless ``encode(result) == data``."""
    try:
        text = data.decode("utf-8")
        value = _decoder.decode(text)
    except EncodingError:
        raise
    except (UnicodeDecodeError, ValueError) as exc:
        raise EncodingError(f"not JSON: {exc}") from exc
    if encode(value) != data:
        raise EncodingError("not in canonical form (key order, spacing, escapes or duplicates)")
    return value


def decode_fast(data: bytes) -> Any:
    """:func:`decode` for the verifier's hot path (same checks except the ASCII-key walk).

    Keys outside the ASCII subset are refused later by the per-kind schema checks.
    """
    try:
        value = _decoder.decode(data.decode("utf-8"))
    except EncodingError:
        raise
    except (UnicodeDecodeError, ValueError) as exc:
        raise EncodingError(f"not JSON: {exc}") from exc
    try:
        again = _encoder.encode(value).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise EncodingError("string is not valid Unicode") from exc
    if again != data:
        raise EncodingError("not in canonical form (key order, spacing, escapes or duplicates)")
    return value


def b64url(data: bytes) -> str:
    """Unpadded base64url (RFC 4648 §5)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: object, what: str = "value") -> bytes:
    """Decode unpadded base64url, refusing padding, other alphabets and non-canonical tails
    (and anything but a string: ``text`` is often untrusted JSON)."""
    if not isinstance(text, str) or "=" in text or len(text) % 4 == 1:
        raise EncodingError(f"{what} is not unpadded base64url")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as exc:
        raise EncodingError(f"{what} is not base64url") from exc
    if b64url(raw) != text:
        raise EncodingError(f"{what} is not canonical base64url")
    return raw


def unhex(text: str, size: int, what: str = "value") -> bytes:
    """Decode lowercase hex of exactly ``size`` bytes."""
    if not isinstance(text, str) or len(text) != 2 * size or text != text.lower():
        raise EncodingError(f"{what} must be {2 * size} lowercase hex digits")
    try:
        return bytes.fromhex(text)
    except ValueError as exc:
        raise EncodingError(f"{what} is not hex") from exc
