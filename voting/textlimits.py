"""How long each free-text field may be: one table, read by the forms, the API, the
services and the registry import.

Nothing typed by a person is unbounded: a 15 MB description was once accepted, and
every notice PDF, page and audit bundle then carried it.  The limits are generous for
what each text is (an agenda item's explanation may be a long document; a name is
short) and are counted in characters (code points), after surrounding spaces are
stripped.  The void reason, which the ledger publishes, has its own bounds
(``ledger.entry_rules.VOID_REASON_CHARS``), as do the registry's certificate numbers
(``identity.validation.MAX_CERTIFICATE``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from voting.errors import TextTooLong


class TextField(StrEnum):
    ASSEMBLY_TITLE = "assembly_title"
    ASSEMBLY_DESCRIPTION = "assembly_description"
    ITEM_TITLE = "item_title"
    ITEM_DESCRIPTION = "item_description"
    CANDIDATE_NAME = "candidate_name"
    UNIT_LABEL = "unit_label"  # a unit's number, and a building's name
    PERSON_NAME = "person_name"  # an owner's, an agent's, a buyer's name
    OBJECTION = "objection"  # an objection to the result (stored encrypted)
    STAFF_USERNAME = "staff_username"
    DISTRICT = "district"  # a street office's district
    DOCUMENT_NAME = "document_name"  # an attached document's file name


LIMITS: Mapping[TextField, int] = MappingProxyType({
    TextField.ASSEMBLY_TITLE: 200,
    TextField.ASSEMBLY_DESCRIPTION: 20_000,
    TextField.ITEM_TITLE: 200,
    TextField.ITEM_DESCRIPTION: 20_000,
    TextField.CANDIDATE_NAME: 50,
    TextField.UNIT_LABEL: 64,
    TextField.PERSON_NAME: 100,
    TextField.OBJECTION: 1_000,
    TextField.STAFF_USERNAME: 80,
    TextField.DISTRICT: 100,
    TextField.DOCUMENT_NAME: 200,
})


def fits(field: TextField, text: str) -> bool:
    return len(text) <= LIMITS[field]


def check_length(field: TextField, text: str, *, where: str = "") -> None:
    """Raise :class:`~voting.errors.TextTooLong` if ``text`` is longer than ``field`` allows."""
    if not fits(field, text):
        raise TextTooLong(field.value, LIMITS[field], len(text), where)
