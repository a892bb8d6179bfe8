"""Text that looks like other text: hidden characters and equivalent spellings.

Two strings that print the same must not be two different things.  A unit label,
a title or a candidate's name with a zero-width space, a byte-order mark, a
bidi control (which reorders what is shown) or another control or format
character looks like a name it is not, so such text is refused
(:func:`require_visible`).  Candidates are compared by :func:`same_text_key`:
``张三`` and ``张\\u200b三``, ``Ａ`` and ``A``, ``王 五`` and ``王  五`` are one
candidate.  Identifiers read from files (owner names, ID numbers, unit labels)
are brought to one spelling by :func:`normalise_identifier`.

Pure: the registry import (identity), the tally file (voting) and the forms use
these same rules.
"""

from __future__ import annotations

import unicodedata

from voting.errors import VotingError

#: Unicode categories that never draw anything of their own: controls (Cc), format
#: characters (Cf: zero-width space/joiners, BOM, bidi controls), private use (Co),
#: surrogates (Cs), unassigned (Cn), line and paragraph separators (Zl, Zp).
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})
#: Letters and marks that draw as blank space (Hangul fillers, the Braille blank,
#: the combining grapheme joiner, variation selectors).
BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f"
                          + "".join(map(chr, range(0xFE00, 0xFE10))))


class HiddenCharacter(VotingError, ValueError):
    """``field`` holds an invisible or direction-changing character at ``position`` (1-based)."""

    def __init__(self, field: str, position: int, codepoint: int) -> None:
        super().__init__(field, position, codepoint)
        self.field, self.position, self.codepoint = field, position, codepoint

    def __str__(self) -> str:
        return (f"{self.field}: character {self.position} is {describe(chr(self.codepoint))}, "
                "an invisible or direction-changing character")


def describe(char: str) -> str:
    """``U+200B ZERO WIDTH SPACE``."""
    return f"U+{ord(char):04X} {unicodedata.name(char, 'UNNAMED')}"


def is_hidden(char: str) -> bool:
    return unicodedata.category(char) in HIDDEN_CATEGORIES or char in BLANK_LOOKING


def hidden_character(text: str) -> tuple[int, str] | None:
    """The first hidden character of ``text`` and its 1-based position, or ``None``."""
    if text.isascii() and text.isprintable():
        return None  # the common case, without a look at each character
    for position, char in enumerate(text, 1):
        if is_hidden(char):
            return position, char
    return None


def require_visible(text: str, field: str) -> None:
    """Raise :class:`HiddenCharacter` if ``text`` holds a hidden character."""
    found = hidden_character(text)
    if found is not None:
        raise HiddenCharacter(field, found[0], ord(found[1]))


def normalise_identifier(text: str) -> str:
    """One spelling: NFKC (full-width letters, digits and spaces become ASCII; compatibility
    ideographs the unified ones), runs of whitespace one space, no space at either end."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())


def same_text_key(text: str) -> str:
    """What makes two names one: :func:`normalise_identifier` without hidden characters."""
    visible = "".join(c for c in text if not is_hidden(c))
    return normalise_identifier(visible)
