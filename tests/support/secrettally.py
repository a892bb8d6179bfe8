"""Secret-mode tallies for tests: a tally file's counting votes encrypted, k trustees'
shares, and the result through ledger.secret.tally (docs/audit-bundle.md §10.2.1)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ledger.secret import elgamal
from ledger.secret import trustee_docs as td
from ledger.secret.ballot import ItemShape
from ledger.secret.dkg import Polynomial, random_polynomial
from ledger.secret.elgamal import Ciphertext
from ledger.secret.group import Point, base
from ledger.secret.parts import CombineReport, Total, combine, make_shares, totals_digest
from ledger.secret.tally import CountedBallot, EncryptedTally, totals_from_counted_ballots
from voting.ballots import Approval, Choice, Vote
from voting.items import Item
from voting.sales import scopes_with_sales
from voting.tallyfile import TallyInput

ORIGIN = "ownervote.example/test-garden/assembly/secret-tally"


@dataclass(frozen=True)
class Trustees:
    """n trustees' shares of one key, threshold k (dealt by one polynomial: tests only)."""

    k: int
    polynomial: Polynomial
    indices: tuple[int, ...]

    @property
    def key(self) -> Point:
        return base(self.polynomial(0))

    def share(self, index: int) -> int:
        return self.polynomial(index)

    @property
    def verification_keys(self) -> dict[int, Point]:
        return {i: base(self.share(i)) for i in self.indices}

    def decryption(self, index: int, totals: Sequence[Total], origin: str = ORIGIN,
                   share: int | None = None) -> td.Decryption:
        s = self.share(index) if share is None else share
        return td.Decryption(origin, index, totals_digest(origin, self.key, totals),
                             make_shares(origin, index, s, totals))

    def combine(self, tally: EncryptedTally, who: Iterable[int],
                docs: Mapping[int, td.Decryption] | None = None) -> CombineReport:
        totals = tally.totals
        decryptions = {i: self.decryption(i, totals) for i in who}
        decryptions.update(docs or {})
        return combine(tally.origin, self.key, self.k, totals, decryptions,
                       self.verification_keys)


def trustees(n: int, k: int) -> Trustees:
    return Trustees(k, random_polynomial(k), tuple(range(1, n + 1)))


def shape(item: Item, paper: bool) -> ItemShape:
    if item.is_election:
        return ItemShape("election", len(item.candidates), item.seats, paper)
    return ItemShape("motion")


def vector(item: Item, vote: Vote, paper: bool) -> tuple[int, ...]:
    """The 0/1 plaintexts of an open-mode vote (docs/secret-ballots.md §10.1)."""
    s = shape(item, paper or vote is Choice.INVALID)
    if isinstance(vote, Approval):
        return s.vector(sorted(item.candidates.index(c) for c in vote.candidates))
    return s.vector(vote.value)


def encrypt_votes(key: Point, parsed: TallyInput, paper_heads: frozenset[str] = frozenset(),
                  ) -> dict[str, list[CountedBallot]]:
    """Per item, each counting vote of the file as an encrypted ballot (entry = its order);
    heads in ``paper_heads`` cast paper ballots (with the ``invalid`` option)."""
    items = {item.item_id: item for item in parsed.items}
    out: dict[str, list[CountedBallot]] = {}
    for entry, ((head, item_id), vote) in enumerate(sorted(parsed.votes.items())):
        item = items[item_id]
        cts: list[Ciphertext] = [elgamal.encrypt_random(key, m)[0]
                                 for m in vector(item, vote, head in paper_heads)]
        out.setdefault(item_id, []).append(CountedBallot(head, entry + 1, tuple(cts)))
    return out


def encrypted_tally(key: Point, parsed: TallyInput,
                    paper_heads: frozenset[str] = frozenset()) -> EncryptedTally:
    community, scopes = scopes_with_sales(parsed.roster, parsed.items, parsed.sales)
    return totals_from_counted_ballots(ORIGIN, key, parsed.items, community, scopes,
                                       encrypt_votes(key, parsed, paper_heads))
