"""The totals a trustee agrees to decrypt (ledger.secret.totals): recomputed as the weighted
sums of the ballots' ciphertexts, whatever the ballots and areas (docs/secret-ballots.md
§12.5)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.secret import totals
from ledger.secret.group import base, decode_point, mul, random_scalar
from ledger.secret.trustee_errors import DocumentError
from tests.support.trustees import expected, totals_file

ORIGIN = "ownervote.example/totals/assembly/1"

ballots = st.lists(
    st.tuples(st.integers(0, 10**6), st.integers(1, 10**7),
              st.sampled_from([[1, 0, 0], [0, 1, 0], [0, 0, 1]])),
    min_size=2, max_size=8, unique_by=lambda b: b[0])


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ballots)
def test_the_recomputed_totals_decrypt_to_the_weighted_counts(bs) -> None:
    x = random_scalar()
    key = base(x)
    result = totals.recompute(totals_file(ORIGIN, key, bs), "t.json")
    assert [t.b - mul(x, t.a) for t in result.totals] == [base(m) for m in expected(bs)]
    (summary,) = result.summary
    assert summary.ballots == len(bs) and summary.area_weight == sum(w for _e, w, _c in bs)


def test_a_total_with_another_options_weights_is_refused() -> None:
    key = base(random_scalar())
    doc = totals_file(ORIGIN, key, [(1, 100, [1, 0]), (2, 200, [0, 1])])
    doc["totals"][2]["terms"][0]["weight"] = 101  # option 1's area total
    with pytest.raises(DocumentError, match=r"t\.json\.totals\[2\]\.terms: item 1: area"):
        totals.recompute(doc, "t.json")
    doc = totals_file(ORIGIN, key, [(1, 100, [1, 0]), (2, 200, [0, 1])])
    doc["totals"].append(doc["totals"][0])
    with pytest.raises(DocumentError, match="a second total for item 1 option 0"):
        totals.recompute(doc, "t.json")
    assert decode_point(doc["key"], "key") == key
