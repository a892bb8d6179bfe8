"""Proof contexts (docs/secret-ballots.md §6): the parts a proof's challenge is bound to.

A context is a tuple of byte strings, hashed first after the tag (§3).  Strings are their
UTF-8, integers their ASCII decimal digits; the item key is the payload's string
(``"1"``…``"9999"``).  A proof made for one ballot, head, item, option or seq hashes
other parts anywhere else, so its challenge does not match there.
"""

from __future__ import annotations

from typing import Literal

Context = tuple[bytes, ...]


def text(value: str) -> bytes:
    return value.encode("utf-8")


def decimal(value: int) -> bytes:
    """An integer part: ASCII decimal, no sign, no leading zeros (§3)."""
    if value < 0:
        raise ValueError("context integers are non-negative")
    return str(value).encode("ascii")


def option_context(origin: str, head: str, item: str, seq: int, option: int) -> Context:
    """One option's 0/1 proof: origin, head id, item key, seq, ``"option"``, option index."""
    return (text(origin), text(head), text(item), decimal(seq), b"option", decimal(option))


def sum_context(origin: str, head: str, item: str, seq: int) -> Context:
    """An item's sum proof: origin, head id, item key, seq, ``"sum"``."""
    return (text(origin), text(head), text(item), decimal(seq), b"sum")


def coefficient_context(origin: str, trustee: int, coefficient: int) -> Context:
    """A trustee's key-generation coefficient (§5.3)."""
    return (text(origin), b"coefficient", decimal(trustee), decimal(coefficient))


def share_context(origin: str, item: str, option: int, kind: Literal["area", "heads"],
                  trustee: int) -> Context:
    """A decryption share of a total (§5.2)."""
    return (text(origin), text(item), decimal(option), text(kind), decimal(trustee))
