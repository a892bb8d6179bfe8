"""A secret assembly's result on the server: the same tally the verifier recomputes
(docs/audit-bundle.md §10.2.1, :mod:`ledger.secret.tally`).

The ballot that counts for a head on an item is, as for :func:`ledger.store.writer.
counted_votes`, the head's last non-voided ballot on it (the cast path wrote only what the
casting rules accepted); its option ciphertexts are summed by the head's counted area in
the item's scope (units sold during the vote included, :func:`voting.sales.scopes_with_sales`)
and by head; the trustees' ``trustee.decryption`` entries are checked and combined; the
totals decided by :func:`voting.tally.decide`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ledger.errors import LedgerError, Refusal
from ledger.kinds import CEREMONY_KINDS, TRUSTEE_DECRYPTION
from ledger.secret import fastops, ledgerdocs
from ledger.secret import tally as secret
from ledger.secret.elgamal import Ciphertext
from ledger.secret.errors import SecretBallotError
from ledger.secret.group import Point
from ledger.secret.trustee_errors import CombineError
from ledger.store import logstore, trustees, writer
from ledger.store.publish import published
from ledger.store.sales import sales_now
from voting.sales import scopes_with_sales
from voting.tally import AssemblyResult


def counted_sealed(session: Session, assembly_id: int) -> dict[str, list[secret.CountedBallot]]:
    """Per item, the ciphertexts of the ballot that counts for each head."""
    latest: dict[tuple[str, str], tuple[int, Any]] = {}
    for index, p in writer.live_ballots(session, assembly_id):
        if p.encrypted is None:
            continue
        for item, obj in p.encrypted.items():
            latest[(p.head, item)] = (index, obj["options"])
    out: dict[str, list[secret.CountedBallot]] = {}
    for (head, item), (index, options) in sorted(latest.items()):
        cts = tuple(Ciphertext(Point(fastops.decode_deferred(o["a"])),
                               Point(fastops.decode_deferred(o["b"]))) for o in options)
        out.setdefault(item, []).append(secret.CountedBallot(head, index, cts))
    return out


def encrypted_tally(session: Session, assembly_id: int) -> secret.EncryptedTally:
    """The ``tally.encrypted`` sums of the log's counting ballots (what the trustees decrypt)."""
    adef, roster = published(session, assembly_id)
    sales = sales_now(session, assembly_id)
    items = list(adef.items.values())
    community, scopes = scopes_with_sales(roster, items, sales.sales if sales else ())
    origin = logstore.get_head(session, assembly_id).origin
    return secret.totals_from_counted_ballots(origin, trustees.election_key(session, assembly_id),
                                              items, community, scopes,
                                              counted_sealed(session, assembly_id))


def compute_secret_result(session: Session, assembly_id: int) -> AssemblyResult:
    """The result from the sums and the logged decryptions; raises ``SecretRefused``
    (``ceremony_not_final``, phase ``decrypting``) while fewer than k trustees have
    published valid shares of these sums, naming those left out."""
    adef, _roster = published(session, assembly_id)
    enc = encrypted_tally(session, assembly_id)
    docs = trustees.logged(session, assembly_id, (*CEREMONY_KINDS, TRUSTEE_DECRYPTION))
    state = ledgerdocs.ceremony(enc.origin, adef.settings, docs)
    try:
        report = secret.combine_logged(state, enc)
    except CombineError as exc:
        raise ledgerdocs.SecretRefused(
            f"the trustees' decryptions do not suffice yet: {exc.problem}",
            code=Refusal.CEREMONY_NOT_FINAL,
            params={"phase": "decrypting", "problem": exc.problem}) from None
    try:
        return secret.result(list(adef.items.values()), adef.settings, enc, report)
    except SecretBallotError as exc:  # a total out of range: never with verified ballots
        raise LedgerError(f"the secret tally cannot be completed: {exc}") from None
