"""Masked forms of personal data for pages and staff screens (张*明, 3508**********123X).

A masked value lets a person recognise their own record without revealing it
to onlookers.  Masks never reveal more than: the first and last character of
a name; the region (4) and last 4 characters of an 18-character ID; the
operator prefix (3) and last 4 digits of a mobile number.
"""

from __future__ import annotations

import unicodedata


def mask_name(name: str) -> str:
    """``张三`` → ``张*``, ``张三明`` → ``张*明``, ``欧阳小明`` → ``欧**明``, ``A`` → ``*``."""
    text = "".join(unicodedata.normalize("NFKC", name).split())
    if len(text) <= 1:
        return "*"
    if len(text) == 2:
        return text[0] + "*"
    return text[0] + "*" * (len(text) - 2) + text[-1]


def mask_id(number: str) -> str:
    """``350881199001011234`` → ``3508**********1234``; shorter documents keep less.

    18+ characters: first 4 and last 4 shown; 8-17: first 2 and last 2;
    shorter: only the last character.
    """
    text = "".join(unicodedata.normalize("NFKC", number).split()).upper()
    n = len(text)
    if n >= 18:
        return text[:4] + "*" * (n - 8) + text[-4:]
    if n >= 8:
        return text[:2] + "*" * (n - 4) + text[-2:]
    if n <= 1:
        return "*" * n
    return "*" * (n - 1) + text[-1]


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678``; other lengths keep only the last 4 digits."""
    digits = "".join(c for c in unicodedata.normalize("NFKC", phone) if c.isdigit())
    if len(digits) == 11:
        return digits[:3] + "****" + digits[-4:]
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]
