"""Exponential ElGamal, the range proof, the ballot and the Benaloh audit
(ledger.secret; docs/secret-ballots.md §4, §5.1, §8–§10): properties over random inputs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.secret import elgamal
from ledger.secret.audit import audit_challenge, open_ballot, reveal_to_json
from ledger.secret.ballot import ItemShape, Randomness, encrypt_ballot, verify_ballot
from ledger.secret.disjunctive import RangeProof, prove_range, verify_range
from ledger.secret.dlog import dlog, table_size
from ledger.secret.errors import AuditMismatch, BallotRefusal, BallotRefused, DlogNotFound
from ledger.secret.group import IDENTITY, G, L, base
from ledger.secret.randomness import SeededScalars

KEY = elgamal.keygen(SeededScalars("tests/key"))
HK = KEY.public
ORIGIN = "ownervote.example/assembly/1"
few = settings(max_examples=20, deadline=None)
scalars = st.integers(min_value=1, max_value=L - 1)


@few
@given(st.integers(0, 20_000), scalars)
def test_encrypt_then_decrypt(m: int, r: int) -> None:
    ct = elgamal.encrypt(HK, m, r)
    assert ct.a == base(r)
    assert elgamal.decrypt(KEY.secret, ct, 20_000) == m


@few
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 10_000_00), scalars),
                min_size=1, max_size=6))
def test_ciphertexts_add_and_scale(terms: list[tuple[int, int, int]]) -> None:
    cts = [elgamal.encrypt(HK, m, r) for m, _, r in terms]
    assert elgamal.decrypt(KEY.secret, elgamal.total(cts), 10) == sum(m for m, _, _ in terms)
    weighted = elgamal.weighted_total((w, ct) for (_, w, _), ct in zip(terms, cts, strict=True))
    expected = sum(m * w for m, w, _ in terms)
    assert elgamal.decrypt_to_point(KEY.secret, weighted) == elgamal.plaintext_point(expected)
    assert cts[0].scale(3) == cts[0] + cts[0] + cts[0]
    assert cts[0].scale(0) == elgamal.ZERO == elgamal.total([])


def test_encryption_refuses_what_it_must() -> None:
    for m, r in ((-1, 5), (1, 0), (1, L)):
        with pytest.raises(ValueError):
            elgamal.encrypt(HK, m, r)


@pytest.mark.parametrize("bound", [0, 1, 2, 3, 8, 9, 10, 99, 100, 1_000])
def test_dlog_finds_every_value_up_to_its_bound_and_none_beyond(bound: int) -> None:
    for m in {0, min(1, bound), bound // 2, bound}:
        assert dlog(elgamal.plaintext_point(m), bound) == m
    with pytest.raises(DlogNotFound):
        dlog(base(bound + 1), bound)
    with pytest.raises(DlogNotFound):
        dlog(base(L - 1), bound)  # "−1"
    assert table_size(bound) ** 2 >= bound + 1 > (table_size(bound) - 1) ** 2


ranges = st.integers(0, 4).flatmap(lambda lo: st.tuples(
    st.just(lo), st.integers(lo, lo + 4))).flatmap(lambda r: st.tuples(
        st.just(r[0]), st.just(r[1]), st.integers(r[0], r[1])))


@few
@given(ranges, scalars, st.binary(max_size=8), st.data())
def test_range_proofs_verify_and_fail_when_anything_changes(
        rng: tuple[int, int, int], r: int, tag: bytes, data: st.DataObject) -> None:
    lo, hi, value = rng
    ct = elgamal.encrypt(HK, value, r)
    ctx = (b"origin", tag)
    proof = prove_range(HK, ct, lo, hi, value, r, ctx)
    assert verify_range(HK, ct, lo, hi, proof, ctx)
    i = data.draw(st.integers(0, hi - lo))
    delta = data.draw(st.integers(1, L - 1))
    bump = lambda xs: tuple((x + delta) % L if j == i else x for j, x in enumerate(xs))  # noqa: E731
    other = elgamal.encrypt(HK, value, r % (L - 1) + 1)
    assert not verify_range(HK, ct, lo, hi, RangeProof(bump(proof.c), proof.z), ctx)
    assert not verify_range(HK, ct, lo, hi, RangeProof(proof.c, bump(proof.z)), ctx)
    assert not verify_range(HK, elgamal.Ciphertext(ct.a + G, ct.b), lo, hi, proof, ctx)
    assert not verify_range(HK, elgamal.Ciphertext(ct.a, ct.b + G), lo, hi, proof, ctx)
    assert not verify_range(HK, other, lo, hi, proof, ctx)
    assert not verify_range(HK + G, ct, lo, hi, proof, ctx)
    assert not verify_range(HK, ct, lo, hi, proof, (b"origin", tag + b"!"))
    assert not verify_range(HK, ct, lo + 1, hi + 1, proof, ctx)
    assert not verify_range(HK, ct, lo, hi + 1, proof, ctx)


@few
@given(st.integers(2, 5), scalars)
def test_a_value_outside_the_range_cannot_be_proved(value: int, r: int) -> None:
    ct = elgamal.encrypt(HK, value, r)
    for claim in (0, 1):
        assert not verify_range(HK, ct, 0, 1, prove_range(HK, ct, 0, 1, claim, r, ()), ())


LAYOUT = {"1": ItemShape("motion"), "2": ItemShape("motion"),
          "3": ItemShape("election", candidates=5, seats=2),
          "4": ItemShape("election", candidates=2, seats=1, paper=True)}
motion = st.sampled_from(["agree", "oppose", "abstain"])
ballots = st.fixed_dictionaries({}, optional={
    "1": motion, "2": motion,
    "3": st.lists(st.integers(0, 4), max_size=2, unique=True),
    "4": st.one_of(st.just("invalid"), st.lists(st.integers(0, 1), max_size=1)),
}).filter(bool)


@settings(max_examples=10, deadline=None)
@given(ballots, st.integers(1, 50), st.sampled_from(["h1", "unit:3-1-202"]))
def test_random_ballots_verify_open_to_their_choices_and_cannot_be_moved(
        choices: dict[str, object], seq: int, head: str) -> None:
    ballot, rand = encrypt_ballot(HK, ORIGIN, head, seq, LAYOUT, choices)  # type: ignore[arg-type]
    enc = ballot.to_json()
    assert verify_ballot(HK, ORIGIN, head, seq, LAYOUT, enc) == ballot
    opened = audit_challenge(HK, ORIGIN, head, seq, LAYOUT, enc, reveal_to_json(rand),
                             shown=choices)  # type: ignore[arg-type]
    assert opened == {k: sorted(v) if isinstance(v, list) else v for k, v in choices.items()}
    for moved in ((ORIGIN, head + "x", seq), (ORIGIN, head, seq + 1), (ORIGIN + "/2", head, seq)):
        with pytest.raises(BallotRefused) as refused:
            verify_ballot(HK, *moved, LAYOUT, enc)
        assert refused.value.code is BallotRefusal.BAD_OPTION_PROOF
    keys = sorted(enc)
    if len(keys) >= 2 and LAYOUT[keys[0]] == LAYOUT[keys[1]]:
        with pytest.raises(BallotRefused) as refused:
            verify_ballot(HK, ORIGIN, head, seq, LAYOUT,
                          {**enc, keys[0]: enc[keys[1]], keys[1]: enc[keys[0]]})
        assert refused.value.item == keys[0]


def test_a_ballot_from_another_key_is_refused() -> None:
    other = elgamal.keygen(SeededScalars("tests/other"))
    ballot, _ = encrypt_ballot(other.public, ORIGIN, "h", 1, LAYOUT, {"1": "agree"})
    with pytest.raises(BallotRefused, match="bad_option_proof"):
        verify_ballot(HK, ORIGIN, "h", 1, LAYOUT, ballot.to_json())


def test_the_audit_catches_a_phone_that_encrypts_other_choices() -> None:
    ballot, rand = encrypt_ballot(HK, ORIGIN, "h", 1, LAYOUT, {"1": "agree", "3": [0, 4]},
                                  SeededScalars("tests/audit"))
    enc = ballot.to_json()
    reveal = reveal_to_json(rand)
    with pytest.raises(AuditMismatch) as mismatch:
        audit_challenge(HK, ORIGIN, "h", 1, LAYOUT, enc, reveal,
                        shown={"1": "oppose", "3": [0, 4]})
    assert mismatch.value.item == "1"
    wrong = {**reveal, "3": [reveal["3"][1], *reveal["3"][1:]]}
    with pytest.raises(AuditMismatch) as mismatch:
        audit_challenge(HK, ORIGIN, "h", 1, LAYOUT, enc, wrong)
    assert (mismatch.value.item, mismatch.value.option) == ("3", 0)
    with pytest.raises(AuditMismatch):
        audit_challenge(HK, ORIGIN, "h", 1, LAYOUT, enc, {"1": reveal["1"]})
    # r right for A but B − r·Hk neither O nor G: opening with another key's randomness
    x_r = dict(rand.items)
    forged = Randomness((("1", x_r["1"]), ("3", x_r["3"])))
    assert open_ballot(HK, ballot, forged) == {"1": (1, 0, 0), "3": (1, 0, 0, 0, 1, 0)}
    with pytest.raises(AuditMismatch, match="neither O nor G"):
        open_ballot(HK + G, ballot, forged)


def test_item_shapes_turn_choices_into_vectors_and_back() -> None:
    e = ItemShape("election", candidates=3, seats=2, paper=True)
    assert e.options == 5 and e.sum_range == (1, 2)
    assert e.vector([]) == (0, 0, 0, 1, 0) == e.vector("abstain")
    assert e.vector("invalid") == (0, 0, 0, 0, 1)
    assert e.vector([2, 0]) == (1, 0, 1, 0, 0) and e.describe((1, 0, 1, 0, 0)) == [0, 2]
    for bad in ([0, 1, 2], [3], [1, 1], "agree"):
        with pytest.raises(ValueError):
            e.vector(bad)
    with pytest.raises(ValueError):
        ItemShape("election", candidates=3, seats=2).vector("invalid")
    assert ItemShape("motion").vector("abstain") == (0, 0, 1)
    assert IDENTITY == elgamal.plaintext_point(0)


def test_the_proof_arithmetic_refuses_what_validation_refuses() -> None:
    """The fast path of verify_ballot leaves point validation to the parse inside the
    proofs' arithmetic (ledger.secret.ballot._verify_fast): it must refuse the same points,
    whatever the scalars — 0 included."""
    from ledger.secret import fastops
    from ledger.secret.group import GroupError
    from tests.support.bad_points import BAD_POINTS

    for bad in (bytes.fromhex(h) for h in BAD_POINTS.values() if h != "00" * 33):
        assert not fastops.is_valid(bad)
        for k in (0, 5):
            with pytest.raises(GroupError):
                fastops.mul(k, bad)
            with pytest.raises(GroupError):
                fastops.combination(((k, bad),), 3)
            with pytest.raises(GroupError):
                fastops.combination(((1, G.encoding), (k, bad)))


def test_the_fast_path_and_the_step_by_step_path_agree() -> None:
    from ledger.secret import ballot as ballot_module

    ballot, _ = encrypt_ballot(HK, ORIGIN, "h", 1, LAYOUT, {"1": "agree", "3": [1]})
    enc = ballot.to_json()
    fast = ballot_module._verify_fast  # noqa: SLF001 - the fast path itself is under test
    assert fast(HK, ORIGIN, "h", 1, LAYOUT, enc) == ballot
    assert ballot_module.parse_ballot(ORIGIN, "h", 1, LAYOUT, enc) == ballot
    zero_c = {**enc["1"]["options"][0], "proof": {"c": ["00" * 32] * 2,
                                                  "z": enc["1"]["options"][0]["proof"]["z"]}}
    forged = {**enc, "1": {**enc["1"], "options": [zero_c, *enc["1"]["options"][1:]]}}
    assert fast(HK, ORIGIN, "h", 1, LAYOUT, forged) is None
    with pytest.raises(BallotRefused, match="bad_option_proof"):
        verify_ballot(HK, ORIGIN, "h", 1, LAYOUT, forged)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 2**60) | st.text(max_size=70)
    | st.sampled_from([G.hex(), IDENTITY.hex(), "00" * 33, "ff" * 33, "00" * 32]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["1", "2", "3", "a", "b", "c", "z", "options", "sum", "proof"]),
        inner, max_size=4),
    max_leaves=12)
VALID, _ = encrypt_ballot(HK, ORIGIN, "h", 1, LAYOUT, {"1": "agree", "3": [2]},
                          SeededScalars("tests/fuzz"))


def _leaf_paths(node: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaf_paths(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaf_paths(v, (*path, i))]
    return [path]


@settings(max_examples=60, deadline=None)
@given(json_values)
def test_any_json_is_refused_with_a_typed_refusal_never_a_crash(value: object) -> None:
    with pytest.raises(BallotRefused):
        verify_ballot(HK, ORIGIN, "h", 1, LAYOUT, value)


@settings(max_examples=60, deadline=None)
@given(st.data(), json_values)
def test_a_valid_ballot_with_any_value_replaced_is_refused_typed(
        data: st.DataObject, value: object) -> None:
    import copy

    enc = copy.deepcopy(VALID.to_json())
    path = data.draw(st.sampled_from(_leaf_paths(enc)))
    node = enc
    for step in path[:-1]:
        node = node[step]  # type: ignore[index]
    if node[path[-1]] == value:  # type: ignore[index]
        return
    node[path[-1]] = value  # type: ignore[index]
    with pytest.raises(BallotRefused):
        verify_ballot(HK, ORIGIN, "h", 1, LAYOUT, enc)


def test_dlog_many_finds_several_totals_with_one_larger_table() -> None:
    from ledger.secret import dlog as dlog_module

    values = [0, 1, 4_999, 5_000, 77, 4_321]
    assert dlog_module.dlog_many([elgamal.plaintext_point(m) for m in values], 5_000) == values
    assert dlog_module.dlog_many([], 10) == []
    with pytest.raises(DlogNotFound) as missing:
        dlog_module.dlog_many([base(3), base(5_001), base(2)], 5_000)
    assert missing.value.index == 1
    for size in (1, 2, 7, 5_001):
        assert dlog(base(4_999), 5_000, size) == 4_999


def test_the_encrypted_object_is_canonical_json_and_parses_back_to_the_same_ballot() -> None:
    from ledger import canonical
    from ledger.secret.ballot import parse_ballot

    data = canonical.encode(VALID.to_json())
    assert canonical.decode(data) == VALID.to_json()
    assert parse_ballot(ORIGIN, "h", 1, LAYOUT, canonical.decode(data)) == VALID
    assert data.startswith(b'{"1":{"options":[{"a":"')


def test_fastops_agrees_with_coincurves_own_api() -> None:
    """ledger.secret.fastops calls libsecp256k1 through coincurve's cffi module without
    coincurve's objects: the same results as coincurve.PublicKey's methods, and every
    point they refuse is refused (GroupError), a wrong length included."""
    from coincurve import PrivateKey, PublicKey

    from ledger.secret import fastops
    from ledger.secret.group import GroupError

    p, q = base(12345).encoding, base(678).encoding
    k = L - 3
    assert fastops.mul(k, p) == PublicKey(p).multiply(k.to_bytes(32, "big")).format()
    assert fastops.base(k) == PrivateKey(k.to_bytes(32, "big")).public_key.format()
    assert fastops.add(p, q) == PublicKey.combine_keys([PublicKey(p), PublicKey(q)]).format()
    assert fastops.sub(p, q) == PublicKey.combine_keys(
        [PublicKey(p), PublicKey(q).multiply((L - 1).to_bytes(32, "big"))]).format()
    assert fastops.combination(((7, p), (L - 2, q)), 11) == PublicKey.combine_keys([
        PublicKey(p).multiply((7).to_bytes(32, "big")),
        PublicKey(q).multiply((L - 2).to_bytes(32, "big")),
        PrivateKey((11).to_bytes(32, "big")).public_key]).format()
    assert fastops.combination(((1, p), (1, fastops.neg(p))), 0) == fastops.ID
    assert fastops.combination(((12345, G.encoding),), L - 12345) == fastops.ID
    assert fastops.combination((), 0) == fastops.ID
    for bad in (p[:32], p + b"\0", b"\x04" + p[1:], b"\x05" + p[1:]):
        with pytest.raises(GroupError):
            fastops.mul(5, bad)
        with pytest.raises(GroupError):
            fastops.add(p, bad)
        with pytest.raises(GroupError):
            fastops.sub(bad, p)
        with pytest.raises(GroupError):
            fastops.neg(bad)


def test_a_proof_with_c0_zero_is_refused_on_both_paths() -> None:
    """A challenge share of 0 skips no check: the fast path refuses the forged proof and
    the step-by-step path names it."""
    from ledger.secret import ballot as ballot_module

    ballot, _ = encrypt_ballot(HK, ORIGIN, "h", 1, LAYOUT, {"1": "agree", "3": [1]})
    enc = ballot.to_json()
    option = enc["1"]["options"][0]
    c0_zero = {**option, "proof": {"c": ["00" * 32, option["proof"]["c"][1]],
                                   "z": option["proof"]["z"]}}
    forged = {**enc, "1": {**enc["1"], "options": [c0_zero, *enc["1"]["options"][1:]]}}
    fast = ballot_module._verify_fast  # noqa: SLF001 - the fast path itself is under test
    assert fast(HK, ORIGIN, "h", 1, LAYOUT, forged) is None
    with pytest.raises(BallotRefused, match="bad_option_proof"):
        verify_ballot(HK, ORIGIN, "h", 1, LAYOUT, forged)
