"""The trust anchors the notice prints and its QR code carries (ledger.trustanchors): the log
key and the witness policy from entry 0, in a URL fragment a browser's URLSearchParams
reads back exactly."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from ledger.errors import EncodingError
from ledger.keys import generate
from ledger.note import ALG_COSIGNATURE_V1
from ledger.trustanchors import TrustAnchors
from ledger.witnesspolicy import WitnessPolicy

LOG = generate("vote.example:8443/log")
W1 = generate("street-office.example/witness", ALG_COSIGNATURE_V1)
W2 = generate("district.example/witness", ALG_COSIGNATURE_V1)


def test_entry_0_gives_the_anchors() -> None:
    policy = WitnessPolicy((W1.verifier, W2.verifier), 1)
    body = {"origin": "o", "assembly": {}, "roster_sha256": "0" * 64,
            "log_key": LOG.verifier.vkey, "witness_policy": policy.to_doc()}
    anchors = TrustAnchors.of_published(body)
    assert anchors.log_key == LOG.verifier.vkey and anchors.quorum == 1
    assert [w.name for w in anchors.witnesses] == ["district.example/witness",
                                                   "street-office.example/witness"]
    assert anchors.log_key_id == LOG.verifier.key_id.hex()
    without = TrustAnchors.of_published({k: v for k, v in body.items() if k != "witness_policy"})
    assert without.policy is None and without.witnesses == () and without.quorum is None


@pytest.mark.parametrize("policy", [None, WitnessPolicy((W1.verifier,), 1),
                                    WitnessPolicy((W1.verifier, W2.verifier), 2)])
def test_the_fragment_round_trips_as_a_form_reader_reads_it(policy) -> None:
    anchors = TrustAnchors(LOG.verifier.vkey, policy)
    url = anchors.url("https://vote.example:8443/a/7")
    parts = urlsplit(url)
    assert parts.path == "/a/7" and not parts.query
    # no bare '+': URLSearchParams (and parse_qsl) would read it as a space
    assert "+" not in parts.fragment
    pairs = parse_qsl(parts.fragment)  # what URLSearchParams gives notice-key.js
    assert pairs[0] == ("log-key", LOG.verifier.vkey)
    expected = [] if policy is None else [("quorum", str(policy.quorum))] + [
        ("witness", w.vkey) for w in policy.witnesses]
    assert pairs[1:] == expected
    assert TrustAnchors.from_fragment("#" + parts.fragment) == anchors


@pytest.mark.parametrize("fragment", [
    "", "log-key", "quorum=1",
    f"log-key={LOG.verifier.vkey.replace('+', '%2B')}&log-key=x",
    f"log-key={LOG.verifier.vkey.replace('+', '%2B')}&quorum=1",  # a quorum, no witness
    f"log-key={LOG.verifier.vkey.replace('+', '%2B')}"
    f"&witness={W1.verifier.vkey.replace('+', '%2B')}",  # a witness, no quorum
    f"log-key={LOG.verifier.vkey.replace('+', '%2B')}&quorum=2"
    f"&witness={W1.verifier.vkey.replace('+', '%2B')}",  # 2 of 1
    f"log-key={LOG.verifier.vkey}",  # '+' read as spaces
    f"log-key={W1.verifier.vkey.replace('+', '%2B')}",  # a witness key as the log key
    f"log-key={LOG.verifier.vkey.replace('+', '%2B')}&other=1",
], ids=["empty", "no-value", "no-log-key", "two-log-keys", "quorum-no-witness",
        "witness-no-quorum", "two-of-one", "bare-plus", "witness-as-log", "unknown-field"])
# ids: the keys are generated at import, and xdist workers must collect the same names
def test_a_malformed_fragment_is_refused(fragment: str) -> None:
    with pytest.raises(EncodingError):
        TrustAnchors.from_fragment(fragment)
