"""A secret assembly's entries as the verifier replays them (:class:`ledger.replay.Replayer`).

docs/audit-bundle.md §5.2, §6.1, §10.1: the trustees' ceremony documents come right after
entry 0 and form a final ceremony, whose joint key every secret ballot is encrypted to;
each ballot's mode is the assembly's (open or secret) and every proof of a secret ballot
verifies (:func:`ledger.secret.ledgerdocs.check_ballot`, bound to the log's origin and
the payload's head, item and seq); decryption documents come after ``voting.closed``.
The rules are :mod:`ledger.secret.ledgerdocs`, the server's too.  Split from
:mod:`ledger.replay`, whose :class:`~ledger.replay.Replayer` inherits these handlers.
"""

from __future__ import annotations

import json
from typing import Any

from ledger.documents import AssemblyDef, parse_assembly
from ledger.entries import parse_entry
from ledger.errors import LedgerError
from ledger.kinds import CEREMONY_KINDS, PAPER_BALLOT, PUBLISHED, TRUSTEE_DECRYPTION
from ledger.payloads import AnyBallot
from ledger.secret import ledgerdocs
from ledger.secret.ballot import ItemShape
from ledger.secret.group import Point
from ledger.secret.trustee_docs import Signed, parse_signed
from ledger.secret.trustee_errors import TrusteeError
from voting.errors import VotingError

Body = dict[str, Any]
#: What the verifier's first pass reads for its workers to check secret ballots' proofs in
#: parallel: the election key's encoding, the origin, the phone's and the paper layouts.
#: Unverified: the replay uses a worker's "proved" only if it computed the very same.
ProofHint = tuple[bytes, str, dict[str, ItemShape], dict[str, ItemShape]]


def proof_hint(entry0: bytes, ceremony: list[bytes]) -> ProofHint | None:
    """The election key and layouts of a secret log from entry 0's line and its ceremony
    entries' lines (None: an open log, or anything amiss — the replay says what)."""
    try:
        first = parse_entry(entry0, 0)
        adef = parse_assembly(first.body["assembly"])
        if not adef.settings.secret:
            return None
        origin = first.body["origin"]
        docs = []
        for line in ceremony:
            index = json.loads(line)["index"]
            entry = parse_entry(line, index)
            docs.append((f"entry {index}", parse_signed(entry.body, f"entry {index}")))
        key = ledgerdocs.election_key(ledgerdocs.ceremony(origin, adef.settings, docs))
        items = adef.items.values()
        return (key.encoding, origin, ledgerdocs.layout(items),
                ledgerdocs.layout(items, paper=True))
    except (LedgerError, VotingError, KeyError, TypeError, ValueError):
        return None


def proofs_hold(hint: ProofHint, kind: str, p: AnyBallot) -> bool:
    """Do the proofs of secret ballot ``p`` verify with the hint (a worker's check)?"""
    key, origin, phone, paper = hint
    try:
        ledgerdocs.check_ballot(Point(key), origin, p.head, p.seq,
                                paper if kind == PAPER_BALLOT else phone, p.encrypted)
    except LedgerError:
        return False
    return True


class SecretEntries:
    """The handlers of trustee entries and the secret ballots' checks (state: the
    Replayer's, plus what :meth:`_secret_init` sets)."""

    assembly: AssemblyDef | None
    origin: str | None
    closed_at: int | None
    result_index: int | None
    trustee_docs: list[tuple[str, Signed]]
    election_key: Point | None
    in_ceremony: bool
    _shapes: dict[bool, dict[str, ItemShape]]
    #: secret ballots (entry indices) whose proofs a worker verified with ``proof_hint``
    proved: set[int]
    proof_hint: ProofHint | None
    _hint_ok: bool | None

    def fail(self, index: int | None, message: str) -> None:  # (the Replayer's)
        raise NotImplementedError

    def _secret_init(self) -> None:
        self.trustee_docs = []
        self.election_key = None
        self.in_ceremony = True  # until the first entry after 0 that is no ceremony document
        self._shapes = {}
        self.proved = set()
        self.proof_hint = None
        self._hint_ok = None

    @property
    def secret(self) -> bool:
        return self.assembly is not None and self.assembly.settings.secret

    def _ceremony_gate(self, index: int, kind: str) -> None:
        """Every entry after 0: the first that is not a ceremony document ends the
        ceremony, which must then be final (a secret assembly's key)."""
        if not self.in_ceremony or kind in CEREMONY_KINDS or kind == PUBLISHED:
            return
        self.in_ceremony = False
        if not self.secret:
            return
        assert self.assembly is not None and self.origin is not None
        try:
            c = ledgerdocs.ceremony(self.origin, self.assembly.settings, self.trustee_docs)
            self.election_key = ledgerdocs.election_key(c)
        except LedgerError as exc:
            self.fail(index, f"the trustees' key ceremony before this entry: {exc}")

    def _trustee_document(self, index: int, kind: str, body: Body) -> None:
        if self.assembly is None or self.origin is None:
            return
        try:
            signed = parse_signed(body, f"entry {index}")
        except TrusteeError as exc:  # its shape was checked with the entry's
            self.fail(index, str(exc))
            return
        if kind in CEREMONY_KINDS and not self.in_ceremony:
            self.fail(index, f"{kind} after the key ceremony (it is written with the notice, "
                             "right after entry 0)")
            return
        if kind == TRUSTEE_DECRYPTION and self.result_index is not None:
            self.fail(index, "trustee.decryption after result.published")
            return
        try:
            ledgerdocs.fits(self.origin, self.assembly.settings, self.trustee_docs, signed,
                            noticed=kind not in CEREMONY_KINDS,
                            closed=self.closed_at is not None)
        except LedgerError as exc:
            self.fail(index, str(exc))
            return
        self.trustee_docs.append((f"entry {index}", signed))

    def _trustee_announcement(self, index: int, t: int, body: Body, p: Any) -> None:
        self._trustee_document(index, "trustee.announcement", body)

    def _trustee_dealing(self, index: int, t: int, body: Body, p: Any) -> None:
        self._trustee_document(index, "trustee.dealing", body)

    def _trustee_confirmation(self, index: int, t: int, body: Body, p: Any) -> None:
        self._trustee_document(index, "trustee.confirmation", body)

    def _trustee_complaint(self, index: int, t: int, body: Body, p: Any) -> None:
        self._trustee_document(index, "trustee.complaint", body)

    def _trustee_answer(self, index: int, t: int, body: Body, p: Any) -> None:
        self._trustee_document(index, "trustee.answer", body)

    def _trustee_decryption(self, index: int, t: int, body: Body, p: Any) -> None:
        self._trustee_document(index, "trustee.decryption", body)

    def _ballot_content_ok(self, index: int, kind: str, p: AnyBallot) -> bool:
        """The ballot's mode, and every proof of a secret ballot (False: reported)."""
        a = self.assembly
        if a is None or self.origin is None:
            return False
        try:
            ledgerdocs.check_mode(a.settings, p.to_json())
            if p.encrypted is None:
                return True
            if self.election_key is None:
                self.fail(index, "a secret ballot without a final key ceremony before it")
                return False
            paper = kind == PAPER_BALLOT
            if not self._shapes:
                self._shapes = {flag: ledgerdocs.layout(a.items.values(), paper=flag)
                                for flag in (False, True)}
            shapes = self._shapes[paper]
            if index in self.proved and self._hint_holds():
                return True
            ledgerdocs.check_ballot(self.election_key, self.origin, p.head, p.seq, shapes,
                                    p.encrypted)
        except LedgerError as exc:
            self.fail(index, f"head {p.head}: {exc}")
            return False
        return True

    def _hint_holds(self) -> bool:
        """Is the workers' hint exactly the replay's own key, origin and layouts?"""
        if self._hint_ok is None:
            own = None if self.election_key is None or self.origin is None else (
                self.election_key.encoding, self.origin, self._shapes[False],
                self._shapes[True])
            self._hint_ok = own is not None and self.proof_hint == own
        return self._hint_ok

    def check_secret_result(self, index: int, result: Any) -> bool:
        """A secret assembly's published result against the homomorphic sums of the
        counting ballots and the trustees' decryption shares (docs/secret-ballots.md §7):
        the tally's check, not written yet — reported, never passed silently."""
        self.fail(index, "the result of a secret assembly cannot be checked by this verifier "
                         "yet (the homomorphic tally's check)")
        return False
