"""How an approved review changes the roster, and how that survives a registry refresh.

Reviews of kinds ``delivered_buyer``, ``heir``, ``court_ruling`` and
``developer`` change who owns a unit, so their effect is a **new roster
version** (source ``review:<reference>``): the roster digest that an
assembly freezes then covers committee additions too.  Guardians and legal
persons' representatives do not change who owns anything; they are recorded
in the ``representation`` side table (see :mod:`identity.store.review`, which
also carries the changes over: :func:`identity.store.review.carry_over`).

A later registry extract would silently undo an addition the registry has not
caught up with, so the importer re-applies ("carries over") each approved
change **while the extract still shows the unit exactly as it was when the
change was approved** (same status, same owners).  Once the registry shows
anything else for that unit, the registry wins and the change is no longer
carried (the import report lists what was carried).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from identity import vocab
from identity.errors import ReviewError, ReviewProblem
from identity.roster import StoredUnit

OWNERSHIP_KINDS = frozenset({"delivered_buyer", "heir", "court_ruling", "developer"})
REPRESENTATION_KINDS = frozenset({"guardian", "legal_representative"})
KINDS = OWNERSHIP_KINDS | REPRESENTATION_KINDS


def before_state(unit: StoredUnit) -> dict[str, object]:
    return {"status": unit.status, "owners": sorted(unit.owner_hashes)}


def apply_change(units: Sequence[StoredUnit], *, kind: str, label: str | None,
                 person_hash: str, replace: bool = True) -> list[StoredUnit]:
    """Return ``units`` with one approved ownership change applied (pure).

    * ``delivered_buyer``: the unit (developer-held or delivered) now belongs
      to the buyer alone, status ``delivered``;
    * ``heir`` / ``court_ruling``: the person replaces the unit's owners
      (``replace``) or joins them; a developer-held unit becomes ``delivered``;
    * ``developer``: the organisation becomes the owner of every developer-held
      unit listed without an owner (``label`` is ignored).
    """
    if kind not in OWNERSHIP_KINDS:
        raise ReviewError(f"review kind {kind!r} does not change the roster",
                          ReviewProblem.NO_ROSTER_CHANGE)
    out = list(units)
    if kind == "developer":
        hits = 0
        for i, u in enumerate(out):
            if u.status in vocab.DEVELOPER_STATUSES and not u.owner_hashes:
                out[i] = u.with_owners({person_hash})
                hits += 1
        if not hits:
            raise ReviewError("no developer-held unit without an owner to assign",
                              ReviewProblem.NO_DEVELOPER_UNIT)
        return out
    index = next((i for i, u in enumerate(out) if u.label == label), None)
    if index is None:
        raise ReviewError(f"unit {label} is not in the roster", ReviewProblem.UNIT_NOT_IN_ROSTER)
    unit = out[index]
    status = vocab.DELIVERED if unit.status in vocab.DEVELOPER_STATUSES else unit.status
    if kind == "delivered_buyer":
        if unit.status == vocab.REGISTERED:
            raise ReviewError(f"unit {label} is registered: its buyer verifies from the "
                              "registry, not as a delivered buyer", ReviewProblem.UNIT_REGISTERED)
        out[index] = unit.with_owners({person_hash}, status=vocab.DELIVERED)
    else:
        owners = {person_hash} if replace else set(unit.owner_hashes) | {person_hash}
        co = unit.co_ownership if len(owners) > 1 else vocab.SOLE
        if len(owners) > 1 and co == vocab.SOLE:
            co = vocab.JOINT
        out[index] = unit.with_owners(owners, status=status, co_ownership=co)
    return out


def still_applies(kind: str, before: Mapping[str, object] | None, units: Sequence[StoredUnit],
                  label: str | None) -> bool:
    """Does an approved change still fit the incoming units (the unit as it was approved)?"""
    if kind == "developer":
        return any(u.status in vocab.DEVELOPER_STATUSES and not u.owner_hashes for u in units)
    unit = next((u for u in units if u.label == label), None)
    return unit is not None and before_state(unit) == before
