"""Decryption shares of the totals and their combination (docs/secret-ballots.md §7, §12.5).

A *total* is one ciphertext ``(A, B)`` that the tally decrypts: for one item, one option
and one weighting (``"area"``: each head's counted area in hundredths of m²; ``"heads"``:
1 per head).  Trustee ``l`` publishes ``D_l = s_l·A`` for every total with a §5.2 proof
against its verification key ``Y_l`` (:func:`make_shares`).  Anyone then checks every
trustee's shares (:func:`check_decryption`) and, with any ``k`` valid trustees ``S``,
computes ``M = B − Σ_{l∈S} λ_l·D_l = m·G`` (:func:`combine`).  A trustee whose document
covers other totals, or any of whose proofs fails, is named and left out.

Finding ``m`` from ``M`` (baby-step giant-step in ``[0, bound]``) is the ElGamal module's;
this module stops at ``M``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ledger import canonical
from ledger.secret import dleq
from ledger.secret.ceremony import Ceremony
from ledger.secret.dkg import lagrange_at_zero
from ledger.secret.group import Point, mul
from ledger.secret.trustee_docs import Decryption, ShareOfTotal
from ledger.secret.trustee_errors import CeremonyError, CombineError


@dataclass(frozen=True, slots=True)
class Total:
    item: str
    option: int
    kind: str  # "area" | "heads"
    a: Point
    b: Point

    @property
    def label(self) -> str:
        return f"item {self.item} option {self.option} ({self.kind})"


@dataclass(frozen=True, slots=True)
class Combined:
    total: Total
    m_point: Point  # m·G
    trustees: tuple[int, ...]  # the k trustees whose shares were combined


@dataclass(frozen=True, slots=True)
class CombineReport:
    combined: tuple[Combined, ...]
    invalid: dict[int, str]  # trustee -> why its decryption document was left out


def totals_digest(origin: str, key: Point, totals: Sequence[Total]) -> str:
    """SHA-256 of the canonical ``{"origin", "key", "totals": [{item, option, kind, a, b}]}``:
    what a trustee's decryption document says it decrypted."""
    body = {"origin": origin, "key": key.hex(),
            "totals": [{"item": t.item, "option": t.option, "kind": t.kind,
                        "a": t.a.hex(), "b": t.b.hex()} for t in totals]}
    return hashlib.sha256(canonical.encode(body)).hexdigest()


def _ctx(origin: str, total: Total, trustee: int) -> tuple[bytes, ...]:
    return dleq.share_context(origin, total.item, total.option, total.kind, trustee)


def make_shares(origin: str, trustee: int, share: int,
                totals: Sequence[Total]) -> tuple[ShareOfTotal, ...]:
    """Trustee ``trustee``'s ``D = s·A`` and proof for every total."""
    out = []
    for t in totals:
        d, proof = dleq.decryption_share(share, t.a, _ctx(origin, t, trustee))
        out.append(ShareOfTotal(t.item, t.option, t.kind, d, proof))
    return tuple(out)


def check_decryption(origin: str, key: Point, doc: Decryption, y: Point,
                     totals: Sequence[Total]) -> str | None:
    """``None`` if every share of ``doc`` is for these totals and proves; else why not."""
    if doc.origin != origin:
        return f"trustee {doc.trustee}: another assembly's decryption ({doc.origin!r})"
    if doc.totals != totals_digest(origin, key, totals):
        return f"trustee {doc.trustee}: decrypted other totals (digest differs)"
    if len(doc.shares) != len(totals):
        return f"trustee {doc.trustee}: {len(doc.shares)} shares for {len(totals)} totals"
    for j, (s, t) in enumerate(zip(doc.shares, totals, strict=True)):
        if (s.item, s.option, s.kind) != (t.item, t.option, t.kind):
            return f"trustee {doc.trustee}: shares[{j}] is not for {t.label}"
        if not dleq.verify(y, t.a, s.d, s.proof, _ctx(origin, t, doc.trustee)):
            return f"trustee {doc.trustee}: shares[{j}] ({t.label}): the proof does not verify"
    return None


def combine(origin: str, key: Point, k: int, totals: Sequence[Total],
            decryptions: Mapping[int, Decryption],
            verification_keys: Mapping[int, Point]) -> CombineReport:
    """Check every trustee's decryption document and combine ``k`` valid ones per total.

    Raises :class:`CombineError` (naming the trustees left out and why) when fewer than
    ``k`` documents are valid.
    """
    invalid: dict[int, str] = {}
    valid: list[int] = []
    for trustee in sorted(decryptions):
        doc = decryptions[trustee]
        y = verification_keys.get(trustee)
        problem = (f"trustee {trustee}: not a trustee of this key" if y is None or
                   doc.trustee != trustee else check_decryption(origin, key, doc, y, totals))
        if problem is None:
            valid.append(trustee)
        else:
            invalid[trustee] = problem
    if len(valid) < k:
        named = "; ".join(invalid.values()) or "no other trustee published"
        raise CombineError("decryptions", f"{len(valid)} valid decryption(s), {k} needed "
                                          f"({named})")
    chosen = tuple(valid[:k])
    lambdas = {i: lagrange_at_zero(chosen, i) for i in chosen}
    combined = []
    for j, t in enumerate(totals):
        m_point = t.b
        for i in chosen:
            m_point = m_point - mul(lambdas[i], decryptions[i].shares[j].d)
        combined.append(Combined(t, m_point, chosen))
    return CombineReport(tuple(combined), invalid)


def combine_ceremony(state: Ceremony, totals: Sequence[Total], *,
                     closed: bool = False) -> CombineReport:
    """:func:`combine` with everything taken from a checked ceremony: its final key, its
    verification keys and its published decryption documents (what a verifier of the
    tally calls)."""
    status = state.status(closed=closed)
    if not status.final or status.key is None:
        raise CeremonyError("ceremony", f"the key is not final (phase {status.phase})")
    decryptions = {i: s.document for i, s in state.decryptions.items()
                   if isinstance(s.document, Decryption)}
    return combine(state.origin, status.key, state.k, totals, decryptions,
                   status.verification_keys)
