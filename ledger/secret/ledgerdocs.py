"""A secret assembly's rules that join the ledger and the cryptography: one place for the
server (admitting entries) and the verifier (replaying them), docs/audit-bundle.md §5.2,
§6.1.

* :func:`layout` — the notice's items as the ballot encoding sees them (§8 of
  docs/secret-ballots.md): a motion, or an election with its candidates and seats; a
  paper ballot's elections have the ``invalid`` option too;
* :func:`ceremony` — the key ceremony of the trustee entries, checked against the
  assembly: the log's origin, ``n = trustees`` and ``k = threshold`` of the settings;
* :func:`fits` — may a new trustee document join the documents so far (before the
  notice: a ceremony document that verifies and fits; a decryption only once the key is
  final)?  Raises :class:`TrusteeDocRefused` with the ledger's refusal code;
* :func:`election_key` — the joint key of a **final** ceremony, or the refusal
  ``ceremony_not_final`` naming what is missing;
* :func:`check_ballot` — the mode of a ballot (open or secret, as the settings say) and,
  for a secret one, every proof (:func:`ledger.secret.ballot.verify_ballot`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ledger.errors import LedgerError, Refusal
from ledger.kinds import CEREMONY_KINDS, TRUSTEE_DECRYPTION
from ledger.secret.ballot import ItemShape, SecretBallot, verify_ballot
from ledger.secret.ceremony import Ceremony, Status
from ledger.secret.errors import BallotRefused
from ledger.secret.group import Point
from ledger.secret.trustee_docs import Announcement, Signed
from ledger.secret.trustee_errors import TrusteeError
from voting.items import Item, ItemKind
from voting.settings import AssemblySettings


class SecretRefused(LedgerError):
    """A secret assembly's rule refuses an entry: ``code`` a :class:`Refusal`, ``params``
    the figures (the refused ballot's item, option and proof; the ceremony's phase)."""


def layout(items: Iterable[Item], *, paper: bool = False) -> dict[str, ItemShape]:
    """``item id -> ItemShape`` of the notice's items (``paper``: a paper ballot's)."""
    out = {}
    for item in items:
        if item.kind is ItemKind.ELECTION:
            out[item.item_id] = ItemShape("election", len(item.candidates), item.seats, paper)
        else:
            out[item.item_id] = ItemShape("motion")
    return out


def ceremony(origin: str, settings: AssemblySettings,
             documents: Iterable[tuple[str, Signed]]) -> Ceremony:
    """The ceremony of ``documents`` (``(where, signed)``), checked against the assembly;
    raises :class:`SecretRefused` (``bad_trustee_document``)."""
    docs = list(documents)
    try:
        c = Ceremony.build(docs)
    except TrusteeError as exc:
        raise _bad(exc) from None
    if c.origin != origin:
        raise SecretRefused(f"the trustees' documents are for {c.origin!r}, not this log "
                            f"{origin!r}", code=Refusal.BAD_TRUSTEE_DOCUMENT,
                            params={"where": "origin", "problem": "another log"})
    if (c.n, c.k) != (settings.trustees, settings.threshold):
        raise SecretRefused(f"the trustees announce n = {c.n}, k = {c.k}; the settings say "
                            f"trustees {settings.trustees}, threshold {settings.threshold}",
                            code=Refusal.BAD_TRUSTEE_DOCUMENT,
                            params={"where": "n/k", "problem": "not the settings'"})
    return c


def fits(origin: str, settings: AssemblySettings, documents: Iterable[tuple[str, Signed]],
         new: Signed, *, noticed: bool, closed: bool = False) -> Ceremony:
    """The ceremony with ``new`` added, if ``new`` may join ``documents`` now.

    Before the notice (``noticed`` false) only ceremony documents, and only while the key
    is not yet final; after it only decryptions, once voting is ``closed``.  A document
    repeated byte for byte is refused too (it is recorded once)."""
    if not settings.secret:
        raise SecretRefused("this assembly's ballots are open: it has no trustees",
                            code=Refusal.NOT_SECRET)
    docs = list(documents)
    kind = new.document.TYPE
    if any(old.digest() == new.digest() for _, old in docs):
        raise SecretRefused("this document is already recorded",
                            code=Refusal.BAD_TRUSTEE_DOCUMENT,
                            params={"where": kind, "problem": "already recorded"})
    if kind in CEREMONY_KINDS:
        if noticed:
            raise SecretRefused("the key ceremony ended with the notice",
                                code=Refusal.CEREMONY_NOT_FINAL, params={"phase": "final"})
        if docs and not isinstance(new.document, Announcement):
            before = ceremony(origin, settings, docs).status()
            if before.final:
                raise SecretRefused("the key ceremony is already final",
                                    code=Refusal.CEREMONY_NOT_FINAL, params={"phase": "final"})
    elif kind == TRUSTEE_DECRYPTION and not closed:
        raise SecretRefused("decryption shares are published after voting closes",
                            code=Refusal.CEREMONY_NOT_FINAL, params={"phase": "voting"})
    return ceremony(origin, settings, [*docs, (f"{kind} (new)", new)])


def election_key(c: Ceremony) -> Point:
    """``Hk`` of a final ceremony; :class:`SecretRefused` (``ceremony_not_final``) else."""
    status = c.status()
    if not status.final or status.key is None:
        raise SecretRefused(f"the key ceremony is not final ({describe(status)})",
                            code=Refusal.CEREMONY_NOT_FINAL,
                            params={"phase": status.phase,
                                    "missing_announcements": list(status.missing_announcements),
                                    "missing_dealings": list(status.missing_dealings),
                                    "open_complaints": [list(p) for p in status.open_complaints],
                                    "undecided": list(status.undecided)})
    return status.key


def describe(status: Status) -> str:
    """What a ceremony still waits for, in one line (English; the web layer translates
    the phase)."""
    parts = [status.phase]
    for label, values in (("no announcement from trustee(s)", status.missing_announcements),
                          ("no dealing from trustee(s)", status.missing_dealings),
                          ("undecided trustee(s)", status.undecided)):
        if values:
            parts.append(f"{label} {', '.join(map(str, values))}")
    if status.open_complaints:
        parts.append("open complaint(s) " + ", ".join(f"{c}→{d}"
                                                       for c, d in status.open_complaints))
    return "; ".join(parts)


def check_mode(settings: AssemblySettings, payload: Mapping[str, Any]) -> None:
    """An open ballot in an open assembly, a secret one in a secret assembly."""
    secret = "encrypted" in payload
    if secret != settings.secret:
        what = "an encrypted ballot" if secret else "a ballot with choices in clear"
        raise SecretRefused(f"{what} in an assembly whose ballots are "
                            f"{settings.ballot_secrecy.value}",
                            code=Refusal.WRONG_BALLOT_MODE,
                            params={"secrecy": settings.ballot_secrecy.value})


def check_ballot(key: Point, origin: str, head: str, seq: int, shapes: Mapping[str, ItemShape],
                 encrypted: Any) -> SecretBallot:
    """Every proof of a secret ballot; :class:`SecretRefused` (``bad_ballot_proof``) naming
    the item, the option and the proof."""
    try:
        return verify_ballot(key, origin, head, seq, shapes, encrypted)
    except BallotRefused as exc:
        raise SecretRefused(
            f"the encrypted ballot is refused: {exc}", code=Refusal.BAD_BALLOT_PROOF,
            params={"reason": exc.code.value, "where": exc.where, "item": exc.item,
                    "option": exc.option, "proof": exc.proof}) from None


def _bad(exc: TrusteeError) -> SecretRefused:
    return SecretRefused(f"trustee document refused: {exc}", code=Refusal.BAD_TRUSTEE_DOCUMENT,
                         params={"where": exc.where, "problem": exc.problem})
