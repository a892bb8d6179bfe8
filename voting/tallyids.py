"""The identifiers of a tally file in one spelling, before units are grouped into heads.

Unit labels, owner ids (names or ID numbers, as the file's author chose) and
building names are brought to the one spelling of
:func:`voting.text.normalise_identifier` (NFKC: full-width letters and digits
become ASCII; runs of spaces one space; no space at either end), so that
``１-１０１`` and ``1-101`` are one unit and ``o1 `` and ``o1`` one owner.  Each value
changed is reported as a warning naming its place in the file; a value holding
an invisible or direction-changing character is refused
(:class:`voting.errors.TallyFileError`, exit 2).  Ballots' unit references are
normalised the same way, so they still find their unit.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from voting.errors import TallyFileError
from voting.text import describe, hidden_character, normalise_identifier

#: Keys of a unit entry that hold identifiers (one string, or a list of strings).
UNIT_FIELDS = ("unit", "owners", "building")


def _one(value: Any, path: str, warnings: list[str]) -> Any:
    if not isinstance(value, str):
        return value  # the parser says what is wrong with it
    found = hidden_character(value)
    if found is not None:
        raise TallyFileError(path, f"{value!r}: character {found[0]} is {describe(found[1])}, an "
                                   "invisible or direction-changing character; remove it")
    normal = normalise_identifier(value)
    if normal != value:
        warnings.append(f"{path}: {value!r} read as {normal!r}")
    return normal


def _field(entry: MutableMapping[str, Any], key: str, path: str, warnings: list[str]) -> None:
    if key not in entry:
        return
    value = entry[key]
    if isinstance(value, list):
        entry[key] = [_one(v, f"{path}.{key}[{n}]", warnings) for n, v in enumerate(value)]
    else:
        entry[key] = _one(value, f"{path}.{key}", warnings)


def normalise_identifiers(top: Any) -> list[str]:
    """Normalise the identifiers of a decoded tally file in place; the warnings."""
    warnings: list[str] = []
    if not isinstance(top, dict):
        return warnings
    for list_key, keys in (("units", UNIT_FIELDS), ("ballots", ("unit",))):
        entries = top.get(list_key)
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            if isinstance(entry, dict):
                for key in keys:
                    _field(entry, key, f"{list_key}[{index}]", warnings)
    return warnings
