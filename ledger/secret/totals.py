"""The totals a trustee agrees to decrypt, recomputed from the ballots' ciphertexts
(docs/secret-ballots.md §12.5).

A trustee never decrypts a ciphertext it is handed: it is handed the *terms* of every total
— each counting ballot's option ciphertext, its ledger entry and its public weight — and
adds them itself (:func:`recompute`), refusing a file where

* a term's points are not valid group elements, or a weight is not a positive integer
  (1 for every ``"heads"`` total);
* an entry appears twice in one total;
* the totals of one item do not all use the same entries with the same weights (every
  option of an item sums the same ballots; the area and the heads totals too);
* a total has fewer than ``min_ballots`` ballots (default 2; a scope with a single
  voter needs ``min_ballots = 1`` on purpose, and its total is that owner's vote).

File (canonical or not; read with strict JSON)::

    {"origin": "…", "key": "<hex Hk>",
     "totals": [{"item": "1", "option": 0, "kind": "area",
                 "terms": [{"entry": 12, "weight": 8937, "a": "<hex>", "b": "<hex>"}, …]}, …]}

What this cannot check on its own is that the terms are exactly the ballots that count
(every counting ballot, no other entry, the roster's weights): that needs the verified
audit bundle (docs/trustee-guide.md, "Before you decrypt").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledger.secret.dleq import KINDS
from ledger.secret.group import IDENTITY, GroupError, Point, decode_point, mul
from ledger.secret.parts import Total
from ledger.secret.trustee_errors import DocumentError

MAX_WEIGHT = 2**53 - 1


@dataclass(frozen=True, slots=True)
class ItemSummary:
    item: str
    ballots: int
    area_weight: int  # Σ area weights (hundredths of m²), 0 if the file has no area total


@dataclass(frozen=True, slots=True)
class Recomputed:
    origin: str
    key: Point
    totals: tuple[Total, ...]
    summary: tuple[ItemSummary, ...]


def recompute(obj: Any, where: str, *, min_ballots: int = 2) -> Recomputed:
    """Parse the totals file ``obj`` and add up every total; errors name the field."""
    doc = _obj(obj, where, {"origin", "key", "totals"})
    origin = doc["origin"]
    if not isinstance(origin, str) or not origin:
        raise DocumentError(f"{where}.origin", "expected the assembly's log origin")
    try:
        key = decode_point(doc["key"], f"{where}.key")
        return _recompute(origin, key, doc["totals"], f"{where}.totals", min_ballots)
    except GroupError as exc:
        raise DocumentError(exc.where, exc.problem) from None


def _recompute(origin: str, key: Point, raw: Any, where: str, min_ballots: int) -> Recomputed:
    if not isinstance(raw, list) or not raw:
        raise DocumentError(where, "expected a non-empty list of totals")
    totals: list[Total] = []
    weights_by_item: dict[str, dict[int, int]] = {}
    area_by_item: dict[str, dict[int, int]] = {}
    seen: set[tuple[str, int, str]] = set()
    for j, entry in enumerate(raw):
        at = f"{where}[{j}]"
        t = _obj(entry, at, {"item", "option", "kind", "terms"})
        item, option, kind = t["item"], t["option"], t["kind"]
        if not isinstance(item, str) or not item:
            raise DocumentError(f"{at}.item", "expected the item key")
        if isinstance(option, bool) or not isinstance(option, int) or option < 0:
            raise DocumentError(f"{at}.option", "expected an option index ≥ 0")
        if kind not in KINDS:
            raise DocumentError(f"{at}.kind", 'expected "area" or "heads"')
        if (item, option, kind) in seen:
            raise DocumentError(at, f"a second total for item {item} option {option} ({kind})")
        seen.add((item, option, kind))
        a, b, weights = _sum_terms(t["terms"], f"{at}.terms", kind)
        if len(weights) < min_ballots:
            raise DocumentError(f"{at}.terms", f"{len(weights)} ballot(s), fewer than "
                                               f"{min_ballots}: refusing to decrypt so few")
        _same_ballots(weights_by_item, item, set(weights), at)
        if kind == "area":
            known = area_by_item.setdefault(item, weights)
            if known != weights:
                raise DocumentError(f"{at}.terms", f"item {item}: area weights differ from "
                                                   "another option's")
        totals.append(Total(item, option, kind, a, b))
    summary = tuple(
        ItemSummary(item, len(ws), sum(area_by_item.get(item, {}).values()))
        for item, ws in weights_by_item.items())
    return Recomputed(origin, key, tuple(totals), summary)


def _same_ballots(by_item: dict[str, dict[int, int]], item: str, entries: set[int],
                  at: str) -> None:
    known = by_item.setdefault(item, dict.fromkeys(entries, 1))
    if set(known) != entries:
        raise DocumentError(f"{at}.terms", f"item {item}: not the same ballots as its other "
                                           "totals")


def _sum_terms(raw: Any, where: str, kind: str) -> tuple[Point, Point, dict[int, int]]:
    if not isinstance(raw, list):
        raise DocumentError(where, "expected a list of terms")
    a = b = IDENTITY
    weights: dict[int, int] = {}
    for j, term in enumerate(raw):
        at = f"{where}[{j}]"
        t = _obj(term, at, {"entry", "weight", "a", "b"})
        entry, weight = t["entry"], t["weight"]
        if isinstance(entry, bool) or not isinstance(entry, int) or entry < 0:
            raise DocumentError(f"{at}.entry", "expected a ledger entry index ≥ 0")
        if entry in weights:
            raise DocumentError(f"{at}.entry", f"entry {entry} appears twice in this total")
        if (isinstance(weight, bool) or not isinstance(weight, int)
                or not 1 <= weight <= MAX_WEIGHT):
            raise DocumentError(f"{at}.weight", "expected a positive integer")
        if kind == "heads" and weight != 1:
            raise DocumentError(f"{at}.weight", "a heads total weighs every ballot 1")
        weights[entry] = weight
        a = a + mul(weight, decode_point(t["a"], f"{at}.a"))
        b = b + mul(weight, decode_point(t["b"], f"{at}.b"))
    return a, b, weights


def _obj(obj: Any, where: str, keys: set[str]) -> Mapping[str, Any]:
    if not isinstance(obj, Mapping):
        raise DocumentError(where, "expected an object")
    if set(obj) != keys:
        raise DocumentError(where, f"expected exactly the fields {sorted(keys)}")
    return obj
