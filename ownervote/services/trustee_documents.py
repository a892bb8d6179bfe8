"""A secret assembly's trustee documents: what the committee records, and where the key
ceremony stands (docs/rules.md §13, docs/trustee-guide.md).

The trustees make their documents on their own computers (``ownervote trustee …``); the
committee hands each file in (``ownervote assembly trustee-doc ASSEMBLY FILE`` or
``POST /api/committee/assemblies/<id>/trustee-documents``).  :func:`submit` records it when
it verifies and fits the ceremony (:mod:`ledger.store.trustees`): before the notice the
ceremony's documents, after the close the trustees' decryptions.  :func:`ceremony_status`
says what the ceremony still waits for and shows each announced trustee's fingerprint, to
compare with the trustee in person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from ledger.kinds import TRUSTEE_ANNOUNCEMENT, TRUSTEE_DECRYPTION
from ledger.secret import ledgerdocs, trustee_sig
from ledger.secret.trustee_docs import Announcement
from ledger.store import logstore, trustees
from ledger.store.publish import assembly_origin, assembly_settings
from ledger.store.trustees import Recorded
from ownervote.audit import record
from ownervote.services.errors import NotFound
from ownervote.services.unit_of_work import writing
from voting.lifecycle import Status
from voting.store.models import Assembly


@dataclass(frozen=True)
class TrusteeView:
    """An announced trustee: index, name and signing-key fingerprint (§12.2)."""

    index: int
    name: str
    fingerprint: str


@dataclass(frozen=True)
class CeremonyView:
    """Where a secret assembly's key ceremony stands (``phase``: announcing, dealing,
    confirming, final; ``None`` counts for an open assembly)."""

    secret: bool
    origin: str | None = None  # what the trustees' documents name (the log's origin)
    trustees: int | None = None
    threshold: int | None = None
    phase: str | None = None
    announced: tuple[TrusteeView, ...] = ()
    waiting: str = ""
    key: str | None = None
    documents: int = 0
    missing: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"secret": self.secret, "origin": self.origin, "trustees": self.trustees,
                "threshold": self.threshold,
                "phase": self.phase, "key": self.key, "documents": self.documents,
                "waiting": self.waiting, "missing": self.missing,
                "announced": [{"index": t.index, "name": t.name,
                               "fingerprint": t.fingerprint} for t in self.announced]}


def _assembly(session: Session, assembly_id: int) -> Assembly:
    a = session.get(Assembly, assembly_id)
    if a is None:
        raise NotFound("assembly", assembly_id)
    return a


def submit(session: Session, assembly_id: int, data: bytes, *, base_url: str | None,
           now: dt.datetime, actor: str) -> Recorded:
    """Record a trustee's document file (one unit of work); refused with
    :class:`~ledger.secret.ledgerdocs.SecretRefused` naming the document and field."""
    with writing(session):
        a = _assembly(session, assembly_id)
        out = trustees.record(session, a, data, base_url=base_url, now=now)
        record(session, actor, "trustee.document", f"assembly:{a.id}", kind=out.kind,
               trustee=out.trustee, digest=out.digest, entry=out.entry)
    return out


def ceremony_status(session: Session, assembly_id: int, *, base_url: str | None
                    ) -> CeremonyView:
    a = _assembly(session, assembly_id)
    settings = assembly_settings(a)
    if not settings.secret:
        return CeremonyView(False)
    docs = trustees.documents(session, a)
    origin = (assembly_origin(session, a, base_url) if a.status == Status.DRAFT.value
              else logstore.get_head(session, a.id).origin)
    base = CeremonyView(True, origin, settings.trustees, settings.threshold, "announcing",
                        documents=len(docs),
                        waiting="announcing; no trustee has announced a key yet")
    if not docs:
        return base
    c = ledgerdocs.ceremony(origin, settings, docs)
    status = c.status()
    announced = [_trustee_view(c.announcements[i].document) for i in sorted(c.announcements)]
    missing = {"announcements": list(status.missing_announcements),
               "dealings": list(status.missing_dealings),
               "open_complaints": [list(p) for p in status.open_complaints],
               "undecided": list(status.undecided)}
    return CeremonyView(True, origin, settings.trustees, settings.threshold, status.phase,
                        tuple(announced), ledgerdocs.describe(status),
                        status.key.hex() if status.key is not None else None, len(docs),
                        missing)


@dataclass(frozen=True)
class DecryptionView:
    """Who decrypted a secret assembly's totals: the trustees whose decryption documents
    the log holds (each share with its proof, checked when it was recorded and again by
    the verifier), out of ``trustees``, ``threshold`` being enough."""

    decrypted_by: tuple[TrusteeView, ...]
    trustees: int
    threshold: int


def decryptions(session: Session, assembly_id: int) -> DecryptionView | None:
    """The trustees who published decryptions of a secret assembly's totals (None for an
    open assembly, or before any decryption)."""
    a = _assembly(session, assembly_id)
    settings = assembly_settings(a)
    if not settings.secret or a.status == Status.DRAFT.value:
        return None
    docs = [signed.document for _where, signed in
            trustees.logged(session, a.id, (TRUSTEE_ANNOUNCEMENT, TRUSTEE_DECRYPTION))]
    published = sorted({d.trustee for d in docs if d.TYPE == TRUSTEE_DECRYPTION})
    if not published:
        return None
    named = {d.trustee: _trustee_view(d) for d in docs if d.TYPE == TRUSTEE_ANNOUNCEMENT}
    assert settings.trustees is not None and settings.threshold is not None
    return DecryptionView(tuple(named[i] for i in published if i in named),
                          settings.trustees, settings.threshold)


def _trustee_view(doc: object) -> TrusteeView:
    """An announced trustee as the pages show it: number, name, key fingerprint."""
    assert isinstance(doc, Announcement)
    return TrusteeView(doc.trustee, doc.name, trustee_sig.fingerprint(doc.signing_key))
