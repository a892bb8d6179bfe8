"""A secret assembly's tally as the verifier checks it (docs/audit-bundle.md §10.2.1).

While the log is replayed, each secret ballot's option ciphertexts are kept for the items
on which it is, so far, the ballot that counts (memory per head and item, as the casting
rules' own; a later accepted ballot of the head replaces them).  At ``result.published``
(:meth:`SecretTally.check_secret_result`):

1. the counting ballots' ciphertexts are summed by counted area and by head
   (:func:`ledger.secret.tally.totals_from_counted_ballots`, the weights from
   :meth:`voting.counting.Counting.scopes` — the open tally's);
2. every trustee's ``trustee.decryption`` entry is checked against those sums (the digest
   of §12.5, every share's proof) and ``k`` valid ones are combined
   (:func:`ledger.secret.parts.combine_ceremony`); trustees left out are named;
3. the totals are decrypted and decided (:func:`ledger.secret.tally.result`) and the
   result compared byte for byte with the published one.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ledger import canonical
from ledger.errors import LedgerError
from ledger.payloads import AnyBallot
from ledger.replaysecret import SecretEntries
from ledger.secret import fastops, ledgerdocs
from ledger.secret import tally as secret
from ledger.secret.elgamal import Ciphertext
from ledger.secret.errors import SecretBallotError
from ledger.secret.group import Point
from voting.counting import Counting
from voting.errors import VotingError


class SecretTally(SecretEntries):
    """The secret tally's state and check (mixed into :class:`ledger.replay.Replayer`)."""

    counting: Counting | None
    secret_tally: dict[str, Any] | None

    def _tally_init(self) -> None:
        #: (head, item) -> (entry, option ciphertexts) of the ballot that counts so far
        self._sealed: dict[tuple[str, str], tuple[int, tuple[Ciphertext, ...]]] = {}
        self.secret_tally = None  # what the check found (the verifier's report.info)

    def _keep_sealed(self, index: int, p: AnyBallot) -> None:
        """After a secret ballot was replayed: keep its ciphertexts where it counts now.
        Its proofs verified (:meth:`_ballot_content_ok`), so its points decode."""
        counting = self.counting
        if p.encrypted is None or counting is None:
            return
        counted = counting.counted
        for item, obj in p.encrypted.items():
            if counted.get((p.head, item)) == index:
                self._sealed[(p.head, item)] = (index, tuple(
                    Ciphertext(Point(fastops.decode_deferred(o["a"])),
                               Point(fastops.decode_deferred(o["b"])))
                    for o in obj["options"]))

    def encrypted_tally(self) -> secret.EncryptedTally:
        """The sums of the ballots that count now (step 1 of the module doc): what the
        trustees decrypt.  Raises ``SecretTallyError`` / ``VotingError`` / ``ValueError``."""
        a, counting, origin, key = self.assembly, self.counting, self.origin, self.election_key
        if a is None or counting is None or origin is None or key is None:
            raise ValueError("no secret assembly with a final key ceremony was replayed")
        items = list(a.items.values())
        community, scopes = counting.scopes(items)
        ballots: dict[str, list[secret.CountedBallot]] = {}
        for (head, item), (entry, cts) in sorted(self._sealed.items()):
            if counting.counted.get((head, item)) == entry:
                ballots.setdefault(item, []).append(secret.CountedBallot(head, entry, cts))
        return secret.totals_from_counted_ballots(origin, key, items, community, scopes,
                                                  ballots)

    def check_secret_result(self, index: int, result: Any) -> bool:
        """The published result against the tally of the encrypted ballots (module doc)."""
        a, origin = self.assembly, self.origin
        if a is None or self.counting is None or origin is None:
            return False
        if self.election_key is None:
            self.fail(index, "a secret result without a final key ceremony")
            return False
        items = list(a.items.values())
        try:
            encrypted = self.encrypted_tally()
            state = ledgerdocs.ceremony(origin, a.settings, self.trustee_docs)
            report = secret.combine_logged(state, encrypted)
            mine = secret.result(items, a.settings, encrypted, report)
        except (LedgerError, SecretBallotError, VotingError) as exc:
            self.fail(index, f"the secret tally cannot be recomputed: {exc}")
            return False
        self.secret_tally = {
            "totals": len(encrypted.totals),
            "trustees_combined": list(report.combined[0].trustees) if report.combined else [],
            "trustees_left_out": {str(t): why for t, why in sorted(report.invalid.items())},
            "tally_encrypted_sha256": hashlib.sha256(
                canonical.encode(encrypted.to_json())).hexdigest(),
        }
        ok = canonical.encode(mine.to_json()) == canonical.encode(result)
        if not ok:
            self.fail(index, "the published result differs from the tally of the encrypted "
                             "ballots and the trustees' decryption shares")
        return ok

