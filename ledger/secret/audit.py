"""Cast or audit (Benaloh challenge), docs/secret-ballots.md §9.

Before casting, the owner may challenge the ballot the phone built.  The phone then shows
(or hands to another device, or to the public auditor page) the ballot's ``encrypted``
object, where it was bound (origin, head, seq) and the randomness of every option
(§9.2).  Anyone then:

1. verifies the ballot's proofs as the server would (:func:`ledger.secret.ballot.verify_ballot`);
2. for every option, checks ``A = r·G`` and finds ``m`` from ``B − r·Hk``, which must be
   the identity (``m = 0``) or ``G`` (``m = 1``);
3. shows the choices so decrypted, and compares them with those the owner saw.

A challenged ballot has revealed its contents: it is never cast (the phone discards it and
builds a fresh one, with fresh randomness).  Because the phone commits to the ciphertexts
(the fingerprint, :func:`fingerprint`) before it knows whether it will be challenged, a
phone that encrypts other choices than it shows is caught with the probability that the
owner challenges.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from ledger import canonical
from ledger.secret.ballot import ItemShape, Randomness, SecretBallot, verify_ballot
from ledger.secret.errors import AuditMismatch
from ledger.secret.group import IDENTITY, G, GroupError, Point, base, decode_scalar, mul


def fingerprint(encrypted: Any) -> str:
    """What the phone shows before "cast or challenge?": lowercase hex SHA-256 of the
    canonical JSON of the ``encrypted`` object (§9.1)."""
    return hashlib.sha256(canonical.encode(encrypted)).hexdigest()


def reveal_to_json(randomness: Randomness) -> dict[str, list[str]]:
    """``{"<item key>": [hex(r_0), hex(r_1), …]}`` (scalars as in §2.2)."""
    return {key: [r.to_bytes(32, "little").hex() for r in rs] for key, rs in randomness.items}


def reveal_from_json(obj: Any, ballot: SecretBallot) -> Randomness:
    """A received reveal: exactly the ballot's items, one non-zero scalar per option."""
    if not isinstance(obj, Mapping) or set(obj) != {key for key, _ in ballot.items}:
        raise AuditMismatch("reveal", "the reveal must name exactly the ballot's items")
    items = []
    for key, item in ballot.items:
        rs = obj[key]
        if not isinstance(rs, list) or len(rs) != len(item.options):
            raise AuditMismatch(f"reveal.{key}", "one r per option", item=key)
        try:
            scalars = tuple(decode_scalar(r, f"reveal.{key}[{i}]") for i, r in enumerate(rs))
        except GroupError as exc:
            raise AuditMismatch(exc.where, exc.problem, item=key) from None
        items.append((key, scalars))
    return Randomness(tuple(items))


def open_ballot(hk: Point, ballot: SecretBallot, randomness: Randomness,
                ) -> dict[str, tuple[int, ...]]:
    """The 0/1 vector of every item, recovered with the revealed ``r``; raises
    :class:`AuditMismatch` naming the first option that is not ``Enc(0 or 1; r)``."""
    opened: dict[str, tuple[int, ...]] = {}
    reveal = dict(randomness.items)
    for key, item in ballot.items:
        rs = reveal.get(key)
        if rs is None or len(rs) != len(item.options):
            raise AuditMismatch(f"reveal.{key}", "one r per option", item=key)
        vector = []
        for i, (option, r) in enumerate(zip(item.options, rs, strict=True)):
            where = f"encrypted.{key}.options[{i}]"
            if r == 0 or base(r) != option.ct.a:
                raise AuditMismatch(f"{where}.a", "A is not r·G for the revealed r",
                                    item=key, option=i)
            m_point = option.ct.b - mul(r, hk)
            if m_point == IDENTITY:
                vector.append(0)
            elif m_point == G:
                vector.append(1)
            else:
                raise AuditMismatch(f"{where}.b", "B − r·Hk is neither O nor G",
                                    item=key, option=i)
        opened[key] = tuple(vector)
    return opened


def audit_challenge(hk: Point, origin: str, head: str, seq: int,
                    layout: Mapping[str, ItemShape], encrypted: Any, reveal: Any,
                    shown: Mapping[str, str | Sequence[int]] | None = None,
                    ) -> dict[str, str | list[int]]:
    """The whole check of a challenged ballot (steps 1–3); returns the choices it encrypts,
    per item (:meth:`ItemShape.describe`).  With ``shown``, the choices the owner saw must be
    exactly those, item for item, or :class:`AuditMismatch` is raised.  A ballot whose
    proofs fail raises :class:`~ledger.secret.errors.BallotRefused`, as on casting."""
    ballot = verify_ballot(hk, origin, head, seq, layout, encrypted)
    opened = open_ballot(hk, ballot, reveal_from_json(reveal, ballot))
    described = {key: layout[key].describe(vector) for key, vector in opened.items()}
    if shown is not None:
        if set(shown) != set(opened):
            raise AuditMismatch("encrypted", "the ballot does not hold the items shown")
        for key in sorted(opened, key=int):
            if layout[key].vector(shown[key]) != opened[key]:
                raise AuditMismatch(f"encrypted.{key}", "the ballot does not encrypt the "
                                    "choice shown", item=key)
    return described
