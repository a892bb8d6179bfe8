"""A secret assembly's trustee documents in the store, and its election key.

Before the notice the committee records the key ceremony's documents as the trustees
hand them in (:func:`record`): each is checked by :func:`ledger.secret.ledgerdocs.fits`
(it verifies, it fits the documents so far) and kept in ``trustee_document``.  The notice
(:func:`notice_entries`) is refused unless they form a **final** ceremony, and writes them
into the log right after entry 0 (docs/audit-bundle.md §5.2).  After the close a
trustee's decryption document is appended to the log directly.

The election key ``Hk`` is computed from the log's ceremony entries
(:func:`election_key`, cached per process by entry 0's hash: they are written with entry 0
and never change); the server never holds a decryption key or share.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger import canonical
from ledger.documents import AssemblyDef
from ledger.entries import signed_message
from ledger.errors import LedgerError, LogStateError, Refusal
from ledger.kinds import CEREMONY_KINDS, PAPER_BALLOT, TRUSTEE_KINDS
from ledger.secret import ledgerdocs
from ledger.secret.ballot import ItemShape
from ledger.secret.group import Point
from ledger.secret.trustee_docs import Signed, loads, parse_signed
from ledger.secret.trustee_errors import TrusteeError
from ledger.store import castpath, logstore
from ledger.store.models import LedgerEntry, TrusteeDocument
from ledger.store.publish import assembly_origin, assembly_settings, published
from voting.lifecycle import Status
from voting.store.models import Assembly


@dataclass(frozen=True, slots=True)
class Recorded:
    """A document the committee recorded: its kind, trustee, digest, and where it went
    (``entry``: its log index, or ``None`` while it waits for the notice); ``phase``: the
    ceremony's phase with it."""

    kind: str
    trustee: int
    digest: str
    entry: int | None
    phase: str


def pending(session: Session, assembly_id: int) -> list[tuple[str, Signed]]:
    """The ceremony documents recorded before the notice, in the order received."""
    rows = session.scalars(select(TrusteeDocument).where(
        TrusteeDocument.assembly_id == assembly_id).order_by(TrusteeDocument.id))
    return [(f"document {r.id}", parse_signed(_decode(r.body), f"document {r.id}"))
            for r in rows]


def logged(session: Session, assembly_id: int,
           kinds: tuple[str, ...] = TRUSTEE_KINDS) -> list[tuple[str, Signed]]:
    """The trustee documents of the log (``kinds``), in log order."""
    rows = session.execute(select(LedgerEntry.index, LedgerEntry.body).where(
        LedgerEntry.assembly_id == assembly_id, LedgerEntry.kind.in_(kinds)
    ).order_by(LedgerEntry.index))
    return [(f"entry {i}", parse_signed(_decode(bytes(b))["body"], f"entry {i}"))
            for i, b in rows]


def documents(session: Session, a: Assembly) -> list[tuple[str, Signed]]:
    """Every ceremony document so far: the log's once noticed, else those recorded."""
    if a.status == Status.DRAFT.value:
        return pending(session, a.id)
    return logged(session, a.id, CEREMONY_KINDS)


def record(session: Session, a: Assembly, data: bytes, *, base_url: str | None,
           now: Any = None) -> Recorded:
    """Check a trustee's document file and record it (in the caller's write transaction).

    Refused with :class:`~ledger.secret.ledgerdocs.SecretRefused` (``not_secret``,
    ``bad_trustee_document``, ``ceremony_not_final``)."""
    settings = assembly_settings(a)
    try:
        signed = loads(data, "document")
    except TrusteeError as exc:
        raise ledgerdocs.SecretRefused(f"trustee document refused: {exc}",
                                       code=Refusal.BAD_TRUSTEE_DOCUMENT,
                                       params={"where": exc.where,
                                               "problem": exc.problem}) from None
    draft = a.status == Status.DRAFT.value
    origin = assembly_origin(session, a, base_url) if draft else logstore.get_head(
        session, a.id).origin
    docs = pending(session, a.id) if draft else logged(session, a.id)
    c = ledgerdocs.fits(origin, settings, docs, signed, noticed=not draft,
                        closed=a.status == Status.CLOSED.value)
    doc = signed.document
    phase = c.status().phase
    if draft:
        session.add(TrusteeDocument(assembly_id=a.id, kind=doc.TYPE, trustee=doc.trustee,
                                    body=signed.canonical(), digest=signed.digest()))
        session.flush()
        return Recorded(doc.TYPE, doc.trustee, signed.digest(), None, phase)
    out = logstore.append(session, a.id, doc.TYPE, signed.to_json(), now=now)
    return Recorded(doc.TYPE, doc.trustee, signed.digest(), out.index, phase)


def notice_entries(session: Session, a: Assembly,
                   base_url: str | None) -> list[tuple[str, dict[str, Any]]]:
    """The entries a secret assembly's notice writes after entry 0: its final ceremony
    (nothing for an open assembly).  Raises ``ceremony_not_final`` naming what is
    missing."""
    settings = assembly_settings(a)
    if not settings.secret:
        return []
    docs = pending(session, a.id)
    if not docs:
        raise ledgerdocs.SecretRefused("no trustee has announced a key yet",
                                       code=Refusal.CEREMONY_NOT_FINAL,
                                       params={"phase": "announcing"})
    origin = assembly_origin(session, a, base_url)
    ledgerdocs.election_key(ledgerdocs.ceremony(origin, settings, docs))
    return [(s.document.TYPE, s.to_json()) for _, s in docs]


def election_key(session: Session, assembly_id: int) -> Point:
    """``Hk`` from the log's ceremony entries (cached by entry 0's hash)."""
    first = castpath.read_entry0_hash(session, assembly_id)
    if first is None:
        raise LogStateError(f"assembly {assembly_id} has no log", code=Refusal.NO_LOG)
    hit = castpath.ELECTION_KEYS.get((assembly_id, first))
    if hit is None:
        head = logstore.get_head(session, assembly_id)
        a = session.get_one(Assembly, assembly_id)
        c = ledgerdocs.ceremony(head.origin, assembly_settings(a),
                                logged(session, assembly_id, CEREMONY_KINDS))
        hit = castpath.ELECTION_KEYS.put((assembly_id, first), ledgerdocs.election_key(c))
    return hit


def published_key_hex(session: Session, assembly_id: int) -> str | None:
    """The election key (hex) a secret assembly's ballots are encrypted to, ``None`` when
    its ballots are open (what a phone or a member's device needs to encrypt)."""
    if not published(session, assembly_id)[0].settings.secret:
        return None
    return election_key(session, assembly_id).hex()


def check_ballot_content(session: Session, assembly_id: int, adef: AssemblyDef, kind: str,
                         payload: dict[str, Any], *, message: bytes | None = None) -> None:
    """The ballot's mode fits the assembly; a secret ballot's proofs all verify against the
    election key (``origin``, ``head``, ``seq`` of the payload; a paper ballot's elections
    have the ``invalid`` option).  Raises ``wrong_ballot_mode`` / ``bad_ballot_proof``.

    Proofs that :func:`preverify_proofs` verified for this very key and payload are not
    verified again (:data:`ledger.store.castpath.VERIFIED_PROOFS`).  ``message``: the bytes
    signed (``signed_message(kind, payload)``), if the caller has them (not encoded again)."""
    ledgerdocs.check_mode(adef.settings, payload)
    if "encrypted" not in payload:
        return
    key = election_key(session, assembly_id)
    paper = kind == PAPER_BALLOT
    shapes = ledgerdocs.layout(adef.items.values(), paper=paper)
    if not paper:
        castpath.ELECTION_HINTS.put(assembly_id, (key, shapes))
    digest = _proofs_digest(key, shapes, message or signed_message(kind, payload))
    if digest in castpath.VERIFIED_PROOFS:
        return
    ledgerdocs.check_ballot(key, payload["origin"], payload["head"], payload["seq"], shapes,
                            payload["encrypted"])
    castpath.VERIFIED_PROOFS.put(digest, None)


def preverify_proofs(assembly_id: int, payload: dict[str, Any], message: bytes) -> None:
    """Check a secret ballot's proofs before the writer lock, with the election key this
    process last read for the assembly (nothing if none): a success is remembered for
    that key and payload, so :func:`check_ballot_content` does not repeat it under the
    lock; a failure is left for it to refuse with the log's own key.  ``message``: the
    bytes the device signed (``signed_message(BALLOT, payload)``, shape checked)."""
    hint = castpath.ELECTION_HINTS.get(assembly_id)
    if hint is None or "encrypted" not in payload:
        return
    key, shapes = hint
    try:
        ledgerdocs.check_ballot(key, payload["origin"], payload["head"], payload["seq"],
                                shapes, payload["encrypted"])
    except (LedgerError, KeyError, TypeError):
        return
    castpath.VERIFIED_PROOFS.put(_proofs_digest(key, shapes, message), None)


def _proofs_digest(key: Point, shapes: dict[str, ItemShape], message: bytes) -> bytes:
    """What a verified proof depends on: the key, the layout and the signed message (its
    kind's prefix and the canonical payload)."""
    layout = repr(sorted(shapes.items())).encode()
    return hashlib.sha256(key.encoding + b"\n" + layout + b"\n" + message).digest()


def _decode(data: bytes) -> Any:
    return canonical.decode(data)
