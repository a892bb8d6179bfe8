"""A secret ballot: per item, each option an encryption of 0 or 1 with its proof, and the
item's sum proof (docs/secret-ballots.md §8, §10).

Wire form (the ``encrypted`` member of a secret ballot's signed payload, §10.1)::

    {"<item key>": {"options": [{"a": hex, "b": hex, "proof": {"c": [hex, hex],
                                                               "z": [hex, hex]}}, …],
                    "sum": {"c": [hex…], "z": [hex…]}}, …}

* a **motion** has the options ``agree, oppose, abstain``; the sum ``Σ options`` is proved
  in ``1…1``;
* an **election** with ``m`` candidates and ``seats`` seats has ``c_1…c_m, blank`` (and
  ``invalid`` last on a paper ballot); the sum ``Σ candidates + seats·(blank + invalid)`` is
  proved in ``1…seats``.

:func:`verify_ballot` checks every point (§2.3), every scalar (§2.2), every proof with its
context (§6) and raises :class:`BallotRefused` naming the item, the option and the proof.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal, TypeVar

from ledger.secret import fastops
from ledger.secret.context import option_context, sum_context
from ledger.secret.disjunctive import RangeProof, prove_range, verify_range
from ledger.secret.elgamal import Ciphertext, encrypt
from ledger.secret.errors import BallotRefusal, BallotRefused
from ledger.secret.group import GroupError, L, Point
from ledger.secret.randomness import SYSTEM, ScalarSource

MOTION_OPTIONS = ("agree", "oppose", "abstain")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ItemShape:
    """What the notice says about an item: a motion, or an election (candidates, seats;
    ``paper`` adds the ``invalid`` option of an over-marked paper ballot)."""

    kind: Literal["motion", "election"]
    candidates: int = 0
    seats: int = 0
    paper: bool = False

    def __post_init__(self) -> None:
        if self.kind == "election" and not 1 <= self.seats:
            raise ValueError("an election has at least one seat")
        if self.kind == "election" and self.candidates < 1:
            raise ValueError("an election has at least one candidate")

    @property
    def options(self) -> int:
        if self.kind == "motion":
            return 3
        return self.candidates + 1 + (1 if self.paper else 0)

    @property
    def sum_range(self) -> tuple[int, int]:
        return (1, 1) if self.kind == "motion" else (1, self.seats)

    def weight(self, option: int) -> int:
        """The option's weight in the item sum (§8): 1, or ``seats`` for blank/invalid."""
        if self.kind == "election" and option >= self.candidates:
            return self.seats
        return 1

    def vector(self, choice: str | Sequence[int]) -> tuple[int, ...]:
        """The 0/1 plaintexts of a choice: a motion word; for an election the 0-based indices
        of the approved candidates (an empty list, or ``"abstain"`` as in open mode, is a
        blank vote) or ``"invalid"`` (paper only)."""
        out = [0] * self.options
        if self.kind == "motion":
            if not isinstance(choice, str) or choice not in MOTION_OPTIONS:
                raise ValueError("a motion's choice is agree, oppose or abstain")
            out[MOTION_OPTIONS.index(choice)] = 1
        elif choice == "abstain":  # a blank election ballot, as in open mode
            out[self.candidates] = 1
        elif isinstance(choice, str):
            if choice != "invalid" or not self.paper:
                raise ValueError("only a paper election ballot may be invalid")
            out[-1] = 1
        elif not choice:
            out[self.candidates] = 1
        else:
            if len(set(choice)) != len(choice) or len(choice) > self.seats or not all(
                    0 <= i < self.candidates for i in choice):
                raise ValueError("1…seats distinct candidates")
            for i in choice:
                out[i] = 1
        return tuple(out)

    def describe(self, vector: Sequence[int]) -> str | list[int]:
        """The inverse of :meth:`vector` (what an auditor shows)."""
        if self.kind == "motion":
            return MOTION_OPTIONS[list(vector).index(1)]
        if self.paper and vector[-1]:
            return "invalid"
        return [i for i in range(self.candidates) if vector[i]]


@dataclass(frozen=True, slots=True)
class EncryptedOption:
    ct: Ciphertext
    proof: RangeProof

    def to_json(self) -> dict[str, Any]:
        return {**self.ct.to_json(), "proof": self.proof.to_json()}


@dataclass(frozen=True, slots=True)
class EncryptedItem:
    options: tuple[EncryptedOption, ...]
    sum_proof: RangeProof

    def to_json(self) -> dict[str, Any]:
        return {"options": [o.to_json() for o in self.options], "sum": self.sum_proof.to_json()}


@dataclass(frozen=True, slots=True)
class SecretBallot:
    """The items of one ballot, in ascending item order, and where it is bound (§6)."""

    origin: str
    head: str
    seq: int
    items: tuple[tuple[str, EncryptedItem], ...]

    def to_json(self) -> dict[str, Any]:
        """The ``encrypted`` member of the signed payload (canonical JSON sorts its keys)."""
        return {key: item.to_json() for key, item in self.items}

    def item(self, key: str) -> EncryptedItem:
        return dict(self.items)[key]


@dataclass(frozen=True, slots=True)
class Randomness:
    """The ``r`` of every option of every item: what a Benaloh challenge reveals (§9)."""

    items: tuple[tuple[str, tuple[int, ...]], ...]


def item_sum(shape: ItemShape, cts: Sequence[Ciphertext]) -> Ciphertext:
    """``Σ weight_i·ct_i`` (§8) on raw encodings (the first term is not added to O)."""
    a: bytes | None = None
    b = fastops.ID
    for i, ct in enumerate(cts):
        w = shape.weight(i)
        ca, cb = ct.a.encoding, ct.b.encoding
        if w != 1:
            ca, cb = fastops.mul(w, ca), fastops.mul(w, cb)
        a, b = (ca, cb) if a is None else (fastops.add(a, ca), fastops.add(b, cb))
    return Ciphertext(Point(fastops.ID if a is None else a), Point(b))


def encrypt_item(hk: Point, origin: str, head: str, seq: int, key: str, shape: ItemShape,
                 vector: Sequence[int], source: ScalarSource = SYSTEM,
                 ) -> tuple[EncryptedItem, tuple[int, ...]]:
    """One item of a ballot and its randomness (the prover's side, §8)."""
    if len(vector) != shape.options or any(m not in (0, 1) for m in vector):
        raise ValueError("one 0 or 1 per option")
    lo, hi = shape.sum_range
    total = sum(shape.weight(i) * m for i, m in enumerate(vector))
    if not lo <= total <= hi:
        raise ValueError("the options' sum is outside the item's range")
    rs = tuple(source() for _ in vector)
    options = []
    for i, (m, r) in enumerate(zip(vector, rs, strict=True)):
        ct = encrypt(hk, m, r)
        proof = prove_range(hk, ct, 0, 1, m, r, option_context(origin, head, key, seq, i),
                            source)
        options.append(EncryptedOption(ct, proof))
    r_sum = sum(shape.weight(i) * r for i, r in enumerate(rs)) % L
    sum_ct = item_sum(shape, [o.ct for o in options])
    sum_proof = prove_range(hk, sum_ct, lo, hi, total, r_sum,
                            sum_context(origin, head, key, seq), source)
    return EncryptedItem(tuple(options), sum_proof), rs


def encrypt_ballot(hk: Point, origin: str, head: str, seq: int,
                   layout: Mapping[str, ItemShape], choices: Mapping[str, str | Sequence[int]],
                   source: ScalarSource = SYSTEM) -> tuple[SecretBallot, Randomness]:
    """A whole ballot from open-mode-like choices (:meth:`ItemShape.vector`)."""
    items, rands = [], []
    for key in sorted(choices, key=int):
        shape = layout[key]
        item, rs = encrypt_item(hk, origin, head, seq, key, shape, shape.vector(choices[key]),
                                source)
        items.append((key, item))
        rands.append((key, rs))
    return SecretBallot(origin, head, seq, tuple(items)), Randomness(tuple(rands))


def parse_ballot(origin: str, head: str, seq: int, layout: Mapping[str, ItemShape],
                 encrypted: Any, where: str = "encrypted", *, validate: bool = True,
                 ) -> SecretBallot:
    """The shape of §10.1, every point and scalar decoded and validated; no proof checked.

    ``validate=False`` (the fast path only) leaves the points' validity to the parsing in
    the proofs' arithmetic (:func:`ledger.secret.fastops.decode_deferred`)."""
    if not isinstance(encrypted, Mapping) or not encrypted:
        raise BallotRefused(BallotRefusal.MALFORMED, where, "a non-empty object of items")
    items = []
    for key in sorted(encrypted, key=_item_order):
        shape = layout.get(key) if isinstance(key, str) else None
        if shape is None:
            raise BallotRefused(BallotRefusal.UNKNOWN_ITEM, f"{where}.{key}",
                                "not an item of this assembly", item=str(key))
        items.append((key, _parse_item(encrypted[key], shape, f"{where}.{key}", key,
                                       validate)))
    return SecretBallot(origin, head, seq, tuple(items))


def verify_ballot(hk: Point, origin: str, head: str, seq: int,
                  layout: Mapping[str, ItemShape], encrypted: Any) -> SecretBallot:
    """Parse and verify every proof of a received ballot; raise :class:`BallotRefused`.

    ``origin``, ``head`` and ``seq`` are those of the signed payload, ``layout`` the notice's
    items.  Items are checked in ascending numeric order, options in order, each option's
    proof before the item's sum proof; the first failure is raised.
    """
    fast = _verify_fast(hk, origin, head, seq, layout, encrypted)
    if fast is not None:
        return fast
    ballot = parse_ballot(origin, head, seq, layout, encrypted)
    for key, item in ballot.items:
        shape = layout[key]
        for i, option in enumerate(item.options):
            ctx = option_context(origin, head, key, seq, i)
            if not verify_range(hk, option.ct, 0, 1, option.proof, ctx):
                raise BallotRefused(BallotRefusal.BAD_OPTION_PROOF,
                                    f"encrypted.{key}.options[{i}].proof",
                                    "the option is not proved to encrypt 0 or 1",
                                    item=key, option=i, proof="option")
        lo, hi = shape.sum_range
        sum_ct = item_sum(shape, [o.ct for o in item.options])
        if not verify_range(hk, sum_ct, lo, hi, item.sum_proof, sum_context(origin, head, key,
                                                                             seq)):
            what = ("exactly one option" if shape.kind == "motion"
                    else f"a blank vote or 1…{shape.seats} candidates")
            raise BallotRefused(BallotRefusal.BAD_SUM_PROOF, f"encrypted.{key}.sum",
                                f"the item is not proved to hold {what}", item=key,
                                proof="sum")
    return ballot


def _verify_fast(hk: Point, origin: str, head: str, seq: int,
                 layout: Mapping[str, ItemShape], encrypted: Any) -> SecretBallot | None:
    """The whole check without the separate point validations, or ``None`` if anything at
    all fails (then :func:`verify_ballot` redoes it step by step to name the refusal).

    Sound because every received point is parsed by libsecp256k1 on its way through the
    proof's arithmetic, whatever the scalars (each option's ``A`` is a term of ``T_v.1``,
    its ``B`` of ``T_v.2``: :func:`ledger.secret.fastops.combination` parses every point
    it is given), and that parse refuses exactly the points §2.3 refuses (checked by
    tests/unit/test_secret_ballot.py); the identity is refused on decoding.  This saves
    two separate point validations per option.
    """
    try:
        ballot = parse_ballot(origin, head, seq, layout, encrypted, validate=False)
        for key, item in ballot.items:
            shape = layout[key]
            for i, option in enumerate(item.options):
                if not verify_range(hk, option.ct, 0, 1, option.proof,
                                    option_context(origin, head, key, seq, i)):
                    return None
            lo, hi = shape.sum_range
            if not verify_range(hk, item_sum(shape, [o.ct for o in item.options]), lo, hi,
                                item.sum_proof, sum_context(origin, head, key, seq)):
                return None
    except (BallotRefused, GroupError):
        return None
    return ballot


def _item_order(key: object) -> tuple[int, str]:
    if isinstance(key, str) and key.isdigit():
        return (int(key), key)
    return (-1, str(key))


def _parse_item(obj: Any, shape: ItemShape, where: str, key: str,
                validate: bool = True) -> EncryptedItem:
    if not isinstance(obj, Mapping) or set(obj) != {"options", "sum"}:
        raise BallotRefused(BallotRefusal.MALFORMED, where,
                            "an item is an object with exactly options and sum", item=key)
    options = obj["options"]
    if not isinstance(options, list):
        raise BallotRefused(BallotRefusal.MALFORMED, f"{where}.options", "a list", item=key)
    if len(options) != shape.options:
        raise BallotRefused(BallotRefusal.WRONG_OPTION_COUNT, f"{where}.options",
                            f"{len(options)} options, the item has {shape.options}", item=key)
    parsed = []
    for i, o in enumerate(options):
        at = f"{where}.options[{i}]"
        if not isinstance(o, Mapping) or set(o) != {"a", "b", "proof"}:
            raise BallotRefused(BallotRefusal.MALFORMED, at,
                                "an option is an object with exactly a, b and proof",
                                item=key, option=i)
        ct = _guard(partial(Ciphertext.from_json if validate else _deferred_ct,
                            {"a": o["a"], "b": o["b"]}, at), key, i, None)
        proof = _guard(partial(RangeProof.from_json, o["proof"], f"{at}.proof", 2),
                       key, i, "option")
        parsed.append(EncryptedOption(ct, proof))
    lo, hi = shape.sum_range
    sum_proof = _guard(partial(RangeProof.from_json, obj["sum"], f"{where}.sum", hi - lo + 1),
                       key, None, "sum")
    return EncryptedItem(tuple(parsed), sum_proof)


def _deferred_ct(obj: Mapping[str, Any], where: str) -> Ciphertext:
    return Ciphertext(Point(fastops.decode_deferred(obj["a"])),
                      Point(fastops.decode_deferred(obj["b"])))


def _guard(parse: Callable[[], T], item: str, option: int | None, proof: str | None) -> T:
    """``parse()``, its errors turned into refusals naming the item, option and proof."""
    try:
        result = parse()
    except GroupError as exc:
        code = BallotRefusal.BAD_SCALAR if proof else BallotRefusal.BAD_POINT
        raise BallotRefused(code, exc.where, exc.problem, item=item, option=option,
                            proof=proof) from None
    except ValueError as exc:
        where, _, detail = str(exc).partition(": ")
        raise BallotRefused(BallotRefusal.MALFORMED, where, detail, item=item, option=option,
                            proof=proof) from None
    return result
