"""The secret-mode tally: stage (a) of :mod:`voting.aggregate` done homomorphically
(docs/secret-ballots.md §13, docs/audit-bundle.md §10.2.1).

1. **Sum** (:func:`totals_from_counted_ballots`, public, anyone): per item, per option, the
   counting ballots' ciphertexts weighted by each head's counted area in hundredths of m²
   (the area of the item's scope the open tally sums — :meth:`voting.counting.Counting.scopes`,
   units sold during the vote included) and once by head (weight 1):
   ``(A, B)_area = Σ_h area_h·ct_h``, ``(A, B)_heads = Σ_h ct_h`` (:func:`elgamal.weighted_total`).
   The sums are published as the canonical ``tally.encrypted`` document
   (:meth:`EncryptedTally.to_json`).
2. **Decrypt** (:func:`decrypt`): ``k`` trustees' decryption shares are checked and combined
   (:func:`ledger.secret.parts.combine`: a wrong share names its trustee, fewer than ``k``
   valid trustees refuse) into ``m·G``; ``m`` is found by baby-step giant-step bounded by
   the item's participation (public: who voted on an item is known, only how is secret),
   in area hundredths or heads (:func:`ledger.secret.dlog.dlog_many`).
3. **Count** (:func:`counts`): the plaintext totals become the very
   :class:`~voting.aggregate.MotionCount` / :class:`~voting.aggregate.ElectionCount` the open
   tally builds, checked against the public participation, and :func:`voting.tally.decide`
   gives the result — byte for byte the open mode's for the same ballots.

A total over no ballot (an option no counting ballot has, e.g. ``invalid`` without paper
ballots, or an item nobody voted on) is not published nor decrypted: it is 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ledger.secret import elgamal, fastops
from ledger.secret.ceremony import Ceremony
from ledger.secret.dlog import dlog_many
from ledger.secret.elgamal import Ciphertext
from ledger.secret.errors import DlogNotFound, SecretTallyError
from ledger.secret.group import Point
from ledger.secret.parts import CombineReport, Total, combine_ceremony
from voting.aggregate import Aggregate, ElectionCount, ItemCount, MotionCount, participation
from voting.areas import Count, Measure, format_area, from_hundredths
from voting.heads import Roster, Scope
from voting.items import Item
from voting.settings import AssemblySettings
from voting.tally import AssemblyResult, decide

DOCUMENT = "tally.encrypted"
VERSION = 1
KINDS = ("area", "heads")


@dataclass(frozen=True, slots=True)
class CountedBallot:
    """The ballot that counts for ``head`` on one item: its log entry and the item's option
    ciphertexts in the notice's order (a paper election ballot has ``invalid`` last)."""

    head: str
    entry: int
    options: tuple[Ciphertext, ...]


@dataclass(frozen=True, slots=True)
class ItemTotals:
    """One item's public figures and its encrypted totals (option-major, area then heads)."""

    item: str
    total: Count  # T: the scope's heads and area (public: the roster)
    participating: Count  # P: who voted on the item (public: the log)
    entries: tuple[int, ...]  # the counting ballots summed, ascending
    options: int  # the item's options in the notice (elections: with blank and invalid)
    totals: tuple[Total, ...]

    def to_json(self) -> dict[str, Any]:
        return {"item": self.item, "total": _measure(self.total),
                "participating": _measure(self.participating), "entries": list(self.entries),
                "totals": [{"option": t.option, "kind": t.kind, "a": t.a.hex(), "b": t.b.hex()}
                           for t in self.totals]}


@dataclass(frozen=True, slots=True)
class EncryptedTally:
    """Every item's encrypted totals: the ``tally.encrypted`` document."""

    origin: str
    key: Point
    community: Count  # the whole roster (after the sales): result.json's ``total``
    items: tuple[ItemTotals, ...]

    @property
    def totals(self) -> tuple[Total, ...]:
        """Every total, in document order: what the trustees decrypt (§12.5 digest)."""
        return tuple(t for item in self.items for t in item.totals)

    def to_json(self) -> dict[str, Any]:
        """The canonical document (``ledger.canonical.encode`` it)."""
        return {"type": DOCUMENT, "v": VERSION, "origin": self.origin, "key": self.key.hex(),
                "total": _measure(self.community),
                "items": [item.to_json() for item in self.items]}


@dataclass(frozen=True, slots=True)
class Decrypted:
    """The plaintext of every total: ``(item, option, kind) -> m`` (absent totals are 0)."""

    values: Mapping[tuple[str, int, str], int]
    trustees: tuple[int, ...]  # the k trustees whose shares were combined

    def get(self, item: str, option: int, kind: str) -> int:
        return self.values.get((item, option, kind), 0)


def option_count(item: Item, paper: bool = True) -> int:
    """The options of an item's ballot (docs/secret-ballots.md §10.1): a motion's agree,
    oppose, abstain; an election's candidates, blank and (paper) invalid."""
    if item.is_election:
        return len(item.candidates) + 1 + (1 if paper else 0)
    return 3


def totals_from_counted_ballots(
    origin: str,
    key: Point,
    items: Sequence[Item],
    community: Roster,
    scopes: Mapping[str, Scope],
    ballots: Mapping[str, Sequence[CountedBallot]],
) -> EncryptedTally:
    """Sum the counting ballots of every item homomorphically (step 1 of the module doc).

    ``community`` and ``scopes``: :meth:`voting.counting.Counting.scopes` (the same weights
    the open tally uses); ``ballots``: per item id, the ballots that count on it (one per
    head).  Raises :class:`SecretTallyError` for a head counted twice, a head outside the
    item's scope or a ballot with the wrong number of options.
    """
    out = []
    known = {item.item_id for item in items}
    for item_id in ballots:
        if item_id not in known and ballots[item_id]:
            raise SecretTallyError(f"item {item_id}", "ballots for an item not in the notice",
                                   item=item_id)
    for item in items:
        out.append(_item_totals(item, scopes[item.item_id], community,
                                ballots.get(item.item_id, ())))
    total = community.scope(None)
    return EncryptedTally(origin, key, Count(total.total_hundredths, len(total.area_of)),
                          tuple(out))


def _item_totals(item: Item, scope: Scope, roster: Roster,
                 ballots: Sequence[CountedBallot]) -> ItemTotals:
    item_id = item.item_id
    heads = [b.head for b in ballots]
    if len(set(heads)) != len(heads):
        raise SecretTallyError(f"item {item_id}", "a head has two counting ballots",
                               item=item_id)
    part = participation(scope, heads, roster, item)
    width = option_count(item, paper=False)
    # per option, the ciphertexts of each weight summed first (additions on raw encodings);
    # then the area total weighs each such sum once (elgamal.weighted_total) and the heads
    # total adds the sums up: Σ_h area_h·ct_h = Σ_w w·(Σ_{area_h = w} ct_h), Σ_h ct_h = Σ_w (…)
    buckets: list[dict[int, list[bytes]]] = [{} for _ in range(width + 1)]
    area_of = scope.area_of
    add = fastops.add
    for b in ballots:
        if len(b.options) not in (width, width + 1) or (
                len(b.options) == width + 1 and not item.is_election):
            raise SecretTallyError(f"item {item_id}", f"entry {b.entry}: {len(b.options)} "
                                   f"options, the item has {width}", item=item_id)
        w = area_of[b.head]
        for option, ct in enumerate(b.options):
            acc = buckets[option].get(w)
            if acc is None:
                buckets[option][w] = [ct.a.encoding, ct.b.encoding]
            else:
                acc[0] = add(acc[0], ct.a.encoding)
                acc[1] = add(acc[1], ct.b.encoding)
    totals: list[Total] = []
    for option, by_weight in enumerate(buckets):
        if not by_weight:
            continue  # no ballot has this option (invalid without paper ballots): it is 0
        sums = [(w, Ciphertext(Point(a), Point(b))) for w, (a, b) in by_weight.items()]
        area = elgamal.weighted_total(sums)
        heads_ct = elgamal.total(ct for _w, ct in sums)
        totals.append(Total(item_id, option, "area", area.a, area.b))
        totals.append(Total(item_id, option, "heads", heads_ct.a, heads_ct.b))
    return ItemTotals(item_id, Count(scope.total_hundredths, len(scope.area_of)), part,
                      tuple(sorted(b.entry for b in ballots)), option_count(item),
                      tuple(totals))


def decrypt(tally: EncryptedTally, report: CombineReport) -> Decrypted:
    """The plaintexts of the combined totals (step 2): each ``m`` with ``m·G = M`` found in
    ``[0, P]``, P the item's participation in that weighting.  Raises
    :class:`SecretTallyError` when the report is for other totals or a total has no
    logarithm in range (naming the item, option and weighting)."""
    expected = tally.totals
    if tuple(c.total for c in report.combined) != expected:
        raise SecretTallyError("decryptions", "the combined shares are for other totals")
    bounds = {item.item: item.participating for item in tally.items}
    values: dict[tuple[str, int, str], int] = {}
    for kind in KINDS:
        chosen = [c for c in report.combined if c.total.kind == kind]
        if not chosen:
            continue
        bound = max(bounds[c.total.item][0 if kind == "area" else 1] for c in chosen)
        try:
            found = dlog_many([c.m_point for c in chosen], bound)
        except DlogNotFound as exc:
            t = chosen[exc.index or 0].total
            raise SecretTallyError(f"item {t.item} option {t.option} ({t.kind})",
                                   f"the decrypted total is not in [0, {bound}]",
                                   item=t.item) from None
        for c, m in zip(chosen, found, strict=True):
            t = c.total
            limit = bounds[t.item][0 if kind == "area" else 1]
            if m > limit:
                raise SecretTallyError(f"item {t.item} option {t.option} ({kind})",
                                       f"{m} exceeds the participation {limit}", item=t.item)
            values[(t.item, t.option, kind)] = m
    trustees = report.combined[0].trustees if report.combined else ()
    return Decrypted(values, trustees)


def counts(items: Sequence[Item], tally: EncryptedTally, plain: Decrypted) -> Aggregate:
    """Stage (a)'s outcome from the decrypted totals (step 3); every item's options must add
    up to its public participation (:class:`SecretTallyError` otherwise)."""
    by_id = {t.item: t for t in tally.items}
    out: list[tuple[Item, ItemCount]] = []
    for item in items:
        figures = by_id[item.item_id]

        def option(i: int, item_id: str = item.item_id) -> Count:
            return Count(plain.get(item_id, i, "area"), plain.get(item_id, i, "heads"))

        part = figures.participating
        if item.is_election:
            m = len(item.candidates)
            blank, invalid = option(m), option(m + 1)
            approvals = {c: option(i) for i, c in enumerate(item.candidates)}
            count: ItemCount = ElectionCount(figures.total, part, blank, approvals, invalid)
            ballots = blank.plus(invalid)
            fits = all(a.area <= part.area - ballots.area and a.heads <= part.heads - ballots.heads
                       for a in approvals.values()) and ballots.area <= part.area \
                and ballots.heads <= part.heads
        else:
            count = MotionCount(figures.total, option(0), option(1), option(2))
            fits = count.participating == part
        if not fits:
            raise SecretTallyError(f"item {item.item_id}", "the decrypted totals do not add up "
                                   "to the item's participation", item=item.item_id)
        out.append((item, count))
    return Aggregate(Measure.of(*tally.community), tuple(out))


def counted_ballots(counted: Mapping[tuple[str, str], int],
                    options_of: Mapping[tuple[int, str], Sequence[Ciphertext]],
                    ) -> dict[str, list[CountedBallot]]:
    """Per item, the ballots that count: ``counted`` maps (head, item) to the entry of the
    ballot that counts (:attr:`voting.counting.Counting.counted`), ``options_of`` maps
    (entry, item) to that ballot's option ciphertexts for the item."""
    out: dict[str, list[CountedBallot]] = {}
    for (head, item_id), entry in counted.items():
        try:
            options = tuple(options_of[(entry, item_id)])
        except KeyError:
            raise SecretTallyError(f"entry {entry}", f"no ciphertexts for item {item_id}",
                                   item=item_id) from None
        out.setdefault(item_id, []).append(CountedBallot(head, entry, options))
    return out


def _measure(count: Count) -> dict[str, Any]:
    return {"area": format_area(from_hundredths(count.area)), "heads": count.heads}


def combine_logged(state: Ceremony, tally: EncryptedTally) -> CombineReport:
    """The trustees' logged decryptions of ``tally`` checked and combined
    (:func:`ledger.secret.parts.combine_ceremony`); nothing to decrypt when no ballot was
    cast on any item (every total is then 0 without a trustee)."""
    if not tally.totals:
        return CombineReport((), {})
    return combine_ceremony(state, tally.totals)


def result(items: Sequence[Item], settings: AssemblySettings, tally: EncryptedTally,
           report: CombineReport) -> AssemblyResult:
    """The assembly's result from the encrypted totals and the trustees' combined shares:
    :func:`voting.tally.decide` of :func:`counts` of :func:`decrypt` (what result.json holds)."""
    return decide(counts(items, tally, decrypt(tally, report)), settings)


__all__ = ["CountedBallot", "Decrypted", "EncryptedTally", "ItemTotals", "combine_logged",
           "counted_ballots", "counts", "decrypt", "option_count", "result",
           "totals_from_counted_ballots"]
