"""Threshold keys (ledger.secret.dkg, schnorr, dleq, parts): docs/secret-ballots.md §5.2,
§5.3 and §7 as properties — any k of n shares decrypt, k − 1 do not, a tampered share or
proof is caught."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.secret import dkg, dleq, parts, schnorr
from ledger.secret import trustee_docs as td
from ledger.secret.group import L, base, mul, random_scalar
from ledger.secret.trustee_errors import CombineError, ParameterError

CRYPTO = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ORIGIN = "ownervote.example/test/assembly/1"


@st.composite
def ceremonies(draw: st.DrawFn) -> tuple[int, int, dict[int, dkg.Polynomial]]:
    n = draw(st.integers(2, 7))
    k = draw(st.integers(1, n))
    return n, k, {i: dkg.random_polynomial(k) for i in range(1, n + 1)}


def _shares(n: int, polys: dict[int, dkg.Polynomial]) -> dict[int, int]:
    return {who: dkg.secret_share({i: p(who) for i, p in polys.items()}, polys)
            for who in range(1, n + 1)}


@CRYPTO
@given(ceremonies(), st.randoms(use_true_random=False))
def test_any_k_of_n_shares_reconstruct_the_key_and_k_minus_1_do_not(c, rnd) -> None:
    n, k, polys = c
    x = sum(p.coefficients[0] for p in polys.values()) % L
    commitments = {i: p.commitments() for i, p in polys.items()}
    assert dkg.joint_public_key(commitments, polys) == base(x)
    shares = _shares(n, polys)
    for who, s in shares.items():
        assert dkg.verification_key(commitments, polys, who) == base(s)
    subset = rnd.sample(range(1, n + 1), k)
    assert dkg.interpolate_at_zero({who: shares[who] for who in subset}) == x
    if k > 1:
        fewer = subset[:-1]
        # k − 1 shares interpolate a polynomial of lower degree: not the secret
        assert dkg.interpolate_at_zero({who: shares[who] for who in fewer}) != x


@CRYPTO
@given(ceremonies(), st.integers(1, L - 1))
def test_k_minus_1_shares_are_consistent_with_every_secret(c, other) -> None:
    """Information-theoretically: for any claimed secret there is a degree-(k−1) polynomial
    through k − 1 given shares, so they say nothing about x (checked by building it)."""
    n, k, polys = c
    if k < 2:
        return
    shares = _shares(n, polys)
    known = {who: shares[who] for who in range(1, k)}  # k − 1 shares
    # the polynomial through (0, other) and the k − 1 known points
    points = {0: other, **known}

    def at(x: int) -> int:
        total = 0
        for i, yi in points.items():
            num = den = 1
            for j in points:
                if j != i:
                    num, den = num * (x - j) % L, den * (i - j) % L
            total += yi * num * pow(den, -1, L)
        return total % L

    assert all(at(who) == s for who, s in known.items()) and at(0) == other


@CRYPTO
@given(ceremonies(), st.integers(1, L - 1))
def test_a_tampered_share_is_detected_by_the_commitments(c, delta) -> None:
    n, k, polys = c
    for p in polys.values():
        for who in range(1, n + 1):
            assert dkg.verify_share(p(who), p.commitments(), who)
            assert not dkg.verify_share((p(who) + delta) % L, p.commitments(), who)
            if k > 1:  # a share checked at another index fails too
                assert not dkg.verify_share(p(who), p.commitments(), who % n + 1)


def test_lagrange_coefficients_are_exact_mod_L() -> None:
    assert dkg.lagrange_at_zero({1, 2}, 1) == 2 and dkg.lagrange_at_zero({1, 2}, 2) == L - 1
    for group in itertools.combinations(range(1, 6), 3):
        assert sum(dkg.lagrange_at_zero(group, i) for i in group) % L == 1
    with pytest.raises(ParameterError):
        dkg.lagrange_at_zero({1, 2}, 3)


def test_parameters() -> None:
    assert [dkg.default_threshold(n) for n in (2, 3, 4, 5, 7)] == [2, 2, 3, 3, 4]
    for n, k in ((1, 1), (3, 0), (3, 4), (True, 1)):
        with pytest.raises(ParameterError):
            dkg.check_parameters(n, k)
    assert "secret" in repr(dkg.random_polynomial(2))


@CRYPTO
@given(st.integers(1, L - 1), st.integers(1, L - 1))
def test_schnorr_proofs_verify_and_tampering_is_refused(a, delta) -> None:
    commitment = base(a)
    ctx = schnorr.coefficient_context(ORIGIN, 2, 0)
    proof = schnorr.prove(a, commitment, ctx)
    assert schnorr.verify(commitment, proof, ctx)
    assert not schnorr.verify(commitment, schnorr.SchnorrProof(proof.c, (proof.z + delta) % L),
                              ctx)
    assert not schnorr.verify(commitment, schnorr.SchnorrProof((proof.c + delta) % L, proof.z),
                              ctx)
    assert not schnorr.verify(base(a + delta), proof, ctx)
    for other in (schnorr.coefficient_context(ORIGIN, 3, 0),
                  schnorr.coefficient_context(ORIGIN, 2, 1),
                  schnorr.coefficient_context(ORIGIN + "0", 2, 0)):
        assert not schnorr.verify(commitment, proof, other)


@CRYPTO
@given(st.integers(1, L - 1), st.integers(1, L - 1), st.integers(1, L - 1))
def test_dleq_proofs_verify_and_tampering_is_refused(s, r, delta) -> None:
    a = base(r)
    ctx = dleq.share_context(ORIGIN, "1", 0, "area", 1)
    d, proof = dleq.decryption_share(s, a, ctx)
    assert d == mul(s, a) and dleq.verify(base(s), a, d, proof, ctx)
    assert not dleq.verify(base(s), a, d + base(delta), proof, ctx)
    assert not dleq.verify(base(s + delta), a, d, proof, ctx)
    assert not dleq.verify(base(s), a, d, dleq.DleqProof(proof.c, (proof.z + delta) % L), ctx)
    for other in (dleq.share_context(ORIGIN, "1", 0, "heads", 1),
                  dleq.share_context(ORIGIN, "1", 1, "area", 1),
                  dleq.share_context(ORIGIN, "2", 0, "area", 1),
                  dleq.share_context(ORIGIN, "1", 0, "area", 2)):
        assert not dleq.verify(base(s), a, d, proof, other)


@CRYPTO
@given(ceremonies(), st.integers(0, 10**6), st.randoms(use_true_random=False))
def test_k_valid_decryption_shares_give_m_G_and_a_wrong_one_is_named(c, m, rnd) -> None:
    n, k, polys = c
    commitments = {i: p.commitments() for i, p in polys.items()}
    key = dkg.joint_public_key(commitments, polys)
    ys = {who: dkg.verification_key(commitments, polys, who) for who in range(1, n + 1)}
    shares = _shares(n, polys)
    r = random_scalar()
    total = parts.Total("1", 0, "area", base(r), mul(r, key) + base(m))
    digest = parts.totals_digest(ORIGIN, key, [total])
    docs = {who: td.Decryption(ORIGIN, who, digest,
                               parts.make_shares(ORIGIN, who, shares[who], [total]))
            for who in rnd.sample(range(1, n + 1), k)}
    report = parts.combine(ORIGIN, key, k, [total], docs, ys)
    assert report.combined[0].m_point == base(m) and not report.invalid
    liar = min(docs)
    good = docs[liar].shares[0]
    docs[liar] = td.Decryption(ORIGIN, liar, digest, (td.ShareOfTotal(
        good.item, good.option, good.kind, good.d + base(1), good.proof),))
    with pytest.raises(CombineError, match=f"trustee {liar}: shares\\[0\\]"):
        parts.combine(ORIGIN, key, k, [total], docs, ys)
    spare = [who for who in range(1, n + 1) if who not in docs]
    if spare:  # one more honest trustee makes up for the liar
        extra = spare[0]
        docs[extra] = td.Decryption(ORIGIN, extra, digest,
                                    parts.make_shares(ORIGIN, extra, shares[extra], [total]))
        report = parts.combine(ORIGIN, key, k, [total], docs, ys)
        assert report.combined[0].m_point == base(m) and liar in report.invalid


def test_fewer_than_k_shares_cannot_be_combined() -> None:
    polys = {i: dkg.random_polynomial(3) for i in range(1, 6)}
    commitments = {i: p.commitments() for i, p in polys.items()}
    key = dkg.joint_public_key(commitments, polys)
    ys = {who: dkg.verification_key(commitments, polys, who) for who in range(1, 6)}
    shares = _shares(5, polys)
    total = parts.Total("1", 0, "heads", base(5), mul(5, key) + base(2))
    digest = parts.totals_digest(ORIGIN, key, [total])
    docs = {who: td.Decryption(ORIGIN, who, digest,
                               parts.make_shares(ORIGIN, who, shares[who], [total]))
            for who in (2, 4)}
    with pytest.raises(CombineError, match="2 valid decryption"):
        parts.combine(ORIGIN, key, 3, [total], docs, ys)
    # with λ over two shares only, the "decryption" is not m·G
    lam = {who: dkg.lagrange_at_zero((2, 4), who) for who in (2, 4)}
    wrong = total.b - mul(lam[2], docs[2].shares[0].d) - mul(lam[4], docs[4].shares[0].d)
    assert wrong != base(2)
    other = parts.Total("1", 0, "heads", base(6), total.b)
    assert parts.check_decryption(ORIGIN, key, docs[2], ys[2], [other]) is not None
