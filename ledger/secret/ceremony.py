"""The state of a trustees' key ceremony, from its signed documents (docs/secret-ballots.md §7).

:func:`Ceremony.build` takes every public document of one assembly's ceremony (from the
ledger, or the files trustees exchanged) and checks each against the others: one
announcement per index with the same origin, ``n`` and ``k``; every other document signed
by its author's announced key; every dealing with ``k`` commitments, ``k`` valid proofs of
knowledge and one sealed share per trustee; confirmations and complaints naming the
dealing they judged by digest.  A trustee who publishes two different documents where one
is allowed (two dealings: equivocation) is refused by name.

:meth:`Ceremony.status` then says where the ceremony stands:

* ``announcing`` — not every trustee has announced its keys;
* ``dealing`` — someone has not dealt;
* ``confirming`` — a complaint is unanswered, or a trustee has not judged every dealing;
* ``final`` — the joint key is fixed: the qualified dealers ``Q`` (:func:`dkg.qualified_set`),
  the key ``Hk`` and every trustee's verification key ``Y_l``;
* ``failed`` — only after the committee closes the ceremony (``closed=True``, at the
  published deadline): no qualified dealer, or fewer than ``k`` trustees hold a share
  of every qualified dealing.  The ceremony is run again with fresh keys.

Closing makes absent dealers and unanswered complaints final (both disqualify the dealer);
before the close the key is final only when all ``n`` dealt and every trustee holds a
verified share of every qualified dealing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from ledger.secret import dkg, schnorr
from ledger.secret.group import Point
from ledger.secret.trustee_docs import (
    Announcement,
    Answer,
    Complaint,
    Confirmation,
    Dealing,
    Decryption,
    Signed,
)
from ledger.secret.trustee_errors import CeremonyError

K = TypeVar("K", int, tuple[int, int])


@dataclass(frozen=True, slots=True)
class Status:
    phase: str
    missing_announcements: tuple[int, ...] = ()
    missing_dealings: tuple[int, ...] = ()
    open_complaints: tuple[tuple[int, int], ...] = ()  # (complainant, dealer)
    undecided: tuple[int, ...] = ()  # trustees who have not judged every qualified dealing
    qualified: tuple[int, ...] = ()
    holders: tuple[int, ...] = ()  # trustees holding a verified share of every dealing in Q
    key: Point | None = None
    verification_keys: dict[int, Point] = field(default_factory=dict)

    @property
    def final(self) -> bool:
        return self.phase == "final"


@dataclass(frozen=True, slots=True)
class Ceremony:
    origin: str
    n: int
    k: int
    announcements: dict[int, Signed]
    dealings: dict[int, Signed]
    confirmations: dict[int, Signed]
    complaints: dict[tuple[int, int], Signed]  # (complainant, dealer)
    answers: dict[tuple[int, int], Signed]  # (dealer, complainant)
    decryptions: dict[int, Signed]

    def announcement(self, index: int) -> Announcement:
        doc = self.announcements[index].document
        assert isinstance(doc, Announcement)
        return doc

    def dealing(self, index: int) -> Dealing:
        doc = self.dealings[index].document
        assert isinstance(doc, Dealing)
        return doc

    @classmethod
    def build(cls, documents: Iterable[tuple[str, Signed]]) -> Ceremony:
        """Check every document (``(where, signed)``: ``where`` names its file or entry)."""
        docs = list(documents)
        anns = [(w, s) for w, s in docs if isinstance(s.document, Announcement)]
        if not anns:
            raise CeremonyError("announcements", "no trustee announcement among the documents")
        first = anns[0][1].document
        assert isinstance(first, Announcement)
        origin, n, k = first.origin, first.n, first.k
        dkg.check_parameters(n, k)
        c = cls(origin, n, k, {}, {}, {}, {}, {}, {})
        for where, signed in anns:
            c._add_announcement(where, signed)
        order = (Dealing, Complaint, Answer, Confirmation, Decryption)  # what refers to what
        for kind in order:
            for where, signed in docs:
                if isinstance(signed.document, kind):
                    c._add(where, signed)
        return c

    def _add_announcement(self, where: str, signed: Signed) -> None:
        doc = signed.document
        assert isinstance(doc, Announcement)
        if (doc.origin, doc.n, doc.k) != (self.origin, self.n, self.k):
            raise CeremonyError(where, f"announces origin/n/k {doc.origin!r}/{doc.n}/{doc.k}, "
                                       f"others {self.origin!r}/{self.n}/{self.k}")
        dkg.check_index(doc.trustee, self.n, f"{where}: trustee")
        signed.check_signature(doc.signing_key, where)
        _put(self.announcements, doc.trustee, signed, where, "announcement")
        for i, other in self.announcements.items():
            o = other.document
            assert isinstance(o, Announcement)
            if i != doc.trustee and (o.signing_key == doc.signing_key
                                     or o.transport_key == doc.transport_key):
                raise CeremonyError(where, f"trustee {doc.trustee} announces the same key as "
                                           f"trustee {i}")

    def _add(self, where: str, signed: Signed) -> None:
        doc = signed.document
        if doc.origin != self.origin:
            raise CeremonyError(f"{where}.origin", f"{doc.origin!r} is not this ceremony's "
                                                   f"origin {self.origin!r}")
        if doc.trustee not in self.announcements:
            raise CeremonyError(f"{where}.trustee", f"trustee {doc.trustee} has not announced")
        signed.check_signature(self.announcement(doc.trustee).signing_key, where)
        if isinstance(doc, Dealing):
            self._check_dealing(where, doc)
            _put(self.dealings, doc.trustee, signed, where, "dealing")
        elif isinstance(doc, Confirmation):
            for dealer, digest in doc.dealings:
                self._check_digest(where, dealer, digest)
            _put(self.confirmations, doc.trustee, signed, where, "confirmation")
        elif isinstance(doc, Complaint):
            self._check_digest(where, doc.dealer, doc.dealing)
            _put(self.complaints, (doc.trustee, doc.dealer), signed, where, "complaint")
        elif isinstance(doc, Answer):
            dkg.check_index(doc.complainant, self.n, f"{where}.complainant")
            _put(self.answers, (doc.trustee, doc.complainant), signed, where, "answer")
        elif isinstance(doc, Decryption):
            _put(self.decryptions, doc.trustee, signed, where, "decryption")

    def _check_dealing(self, where: str, doc: Dealing) -> None:
        if len(doc.commitments) != self.k or len(doc.proofs) != self.k:
            raise CeremonyError(f"{where}.commitments", f"expected k = {self.k} commitments "
                                                        "and as many proofs")
        for j, (commitment, proof) in enumerate(zip(doc.commitments, doc.proofs, strict=True)):
            ctx = schnorr.coefficient_context(self.origin, doc.trustee, j)
            schnorr.check(commitment, proof, ctx, f"{where}.proofs[{j}]")
        if [s.to for s in doc.shares] != list(range(1, self.n + 1)):
            raise CeremonyError(f"{where}.shares", f"expected one share for each trustee "
                                                   f"1…{self.n}, in order")

    def _check_digest(self, where: str, dealer: int, digest: str) -> None:
        if dealer not in self.dealings:
            raise CeremonyError(where, f"names the dealing of trustee {dealer}, which is not "
                                       "among the documents")
        if self.dealings[dealer].digest() != digest:
            raise CeremonyError(where, f"names another dealing of trustee {dealer} than the "
                                       "one published (digest differs)")

    # -- the state ----------------------------------------------------------------------

    def answered(self) -> dict[int, set[int]]:
        """``dealer -> complainants`` whose complaint got a revealed share that verifies."""
        out: dict[int, set[int]] = {}
        for (dealer, complainant), signed in self.answers.items():
            doc = signed.document
            assert isinstance(doc, Answer)
            if dealer in self.dealings and dkg.verify_share(
                    doc.share, self.dealing(dealer).commitments, complainant):
                out.setdefault(dealer, set()).add(complainant)
        return out

    def judged(self, trustee: int) -> set[int]:
        """The dealers whose dealing ``trustee`` confirmed, or complained about and got a
        valid answer from: it holds a verified share of each."""
        held: set[int] = set()
        conf = self.confirmations.get(trustee)
        if conf is not None:
            doc = conf.document
            assert isinstance(doc, Confirmation)
            held |= {dealer for dealer, _ in doc.dealings}
        answered = self.answered()
        held |= {d for (c, d) in self.complaints if c == trustee and c in answered.get(d, ())}
        return held

    def status(self, *, closed: bool = False) -> Status:
        everyone = range(1, self.n + 1)
        missing_ann = tuple(i for i in everyone if i not in self.announcements)
        if missing_ann:
            return Status("announcing", missing_announcements=missing_ann)
        missing_deal = tuple(i for i in everyone if i not in self.dealings)
        complaints: dict[int, set[int]] = {}
        for complainant, dealer in self.complaints:
            complaints.setdefault(dealer, set()).add(complainant)
        answered = self.answered()
        open_complaints = tuple(sorted((c, d) for (c, d) in self.complaints
                                       if (d, c) not in self.answers))
        qualified = dkg.qualified_set(self.dealings, complaints, answered)
        holders = tuple(i for i in everyone if qualified <= self.judged(i))
        undecided = tuple(i for i in everyone if i not in holders)
        base = Status("", (), missing_deal, open_complaints, undecided,
                      tuple(sorted(qualified)), holders)
        if not closed:
            if missing_deal:
                return _with(base, "dealing")
            if open_complaints or undecided:
                return _with(base, "confirming")
        if not qualified or len(holders) < self.k:
            return _with(base, "failed")
        commitments = {i: self.dealing(i).commitments for i in qualified}
        key = dkg.joint_public_key(commitments, qualified)
        keys = {i: dkg.verification_key(commitments, qualified, i) for i in everyone}
        return Status("final", (), missing_deal, open_complaints, undecided,
                      tuple(sorted(qualified)), holders, key, keys)


def _put(table: dict[K, Signed], key: K, signed: Signed, where: str, what: str) -> None:
    old = table.get(key)
    if old is not None and old.digest() != signed.digest():
        raise CeremonyError(where, f"a second, different {what} from trustee "
                                   f"{signed.document.trustee}")
    table[key] = signed


def _with(status: Status, phase: str) -> Status:
    return Status(phase, status.missing_announcements, status.missing_dealings,
                  status.open_complaints, status.undecided, status.qualified, status.holders)
