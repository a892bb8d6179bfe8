"""The one integer field type of forms, query strings and route values typed by hand.

``str.isdigit`` is true for ``²``, ``①`` and full-width ``１２``; ``int`` refuses the
first two (a 500 where a check trusted ``isdigit``) and reads the last as 12.  A
whole number here is ASCII digits only, at most nine of them (below 2**31, what every
integer column holds).  :func:`whole_number` raises ``ValueError`` otherwise, so it is
also werkzeug's ``type=`` (``request.form.get("target", type=whole_number)`` is None for
anything else).
"""

from __future__ import annotations

MAX_DIGITS = 9


def whole_number(text: str) -> int:
    """``text`` (surrounding spaces allowed) as a non-negative int; ``ValueError`` otherwise."""
    digits = text.strip()
    if not digits or not digits.isascii() or not digits.isdigit() or len(digits) > MAX_DIGITS:
        raise ValueError(f"not a whole number of at most {MAX_DIGITS} ASCII digits")
    return int(digits)


def whole_number_or_none(text: str | None) -> int | None:
    """``text`` as a whole number, or None if it is missing or anything else."""
    try:
        return whole_number(text or "")
    except ValueError:
        return None
