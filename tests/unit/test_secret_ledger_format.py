"""The ledger format of secret assemblies (docs/audit-bundle.md §5.2, §6.1, §7.1): the
settings, the secret ballot payload, the trustee entries."""

from __future__ import annotations

import pytest

from ledger import canonical
from ledger.ballots import ballot_payload, new_nonce, secret_ballot_payload
from ledger.entries import check_body, encode_entry, parse_entry
from ledger.errors import EncodingError, EntryError
from ledger.kinds import KINDS, TRUSTEE_KINDS
from ledger.payloads import Ballot, PaperBallot, typed
from ledger.secret import trustee_docs
from ledger.secret.ballot import ItemShape, encrypt_ballot
from tests.support.trustees import ORIGIN, full_ceremony
from voting.errors import SettingsError
from voting.settings import AssemblySettings, BallotSecrecy

KEY_ID = "ab" * 32


def test_open_is_the_default_and_keeps_old_bytes() -> None:
    assert AssemblySettings().ballot_secrecy is BallotSecrecy.OPEN
    data = AssemblySettings().to_dict()
    assert not {"ballot_secrecy", "trustees", "threshold"} & set(data)


def test_secret_settings_round_trip_with_a_majority_by_default() -> None:
    s = AssemblySettings.from_dict({"ballot_secrecy": "secret", "trustees": 5})
    assert s.secret and s.threshold == 3
    data = s.to_dict()
    assert (data["ballot_secrecy"], data["trustees"], data["threshold"]) == ("secret", 5, 3)
    assert AssemblySettings.from_dict(data) == s


@pytest.mark.parametrize("bad", [
    {"ballot_secrecy": "secret"},  # no trustees
    {"ballot_secrecy": "secret", "trustees": 1},
    {"ballot_secrecy": "secret", "trustees": 65},
    {"ballot_secrecy": "secret", "trustees": 3, "threshold": 4},
    {"ballot_secrecy": "secret", "trustees": 3, "threshold": 0},
    {"trustees": 3},  # open with trustees
    {"ballot_secrecy": "hidden"},
])
def test_secret_settings_are_refused_by_name(bad: dict[str, object]) -> None:
    with pytest.raises(SettingsError):
        AssemblySettings.from_dict(bad)


def _encrypted() -> dict[str, object]:
    c = full_ceremony(ORIGIN, 2)
    ballot, _ = encrypt_ballot(c.key, ORIGIN, "h1", 1, {"1": ItemShape("motion")},
                               {"1": "agree"})
    return ballot.to_json()


def test_secret_ballot_payload_round_trips_without_choices() -> None:
    enc = _encrypted()
    p = secret_ballot_payload(ORIGIN, "h1", KEY_ID, 1, enc, new_nonce())
    assert "choices" not in p
    b = typed("ballot", p)
    assert isinstance(b, Ballot) and b.secret and dict(b.choices) == {"1": "sealed"}
    assert canonical.encode(b.to_json()) == canonical.encode(p)
    paper = {"origin": ORIGIN, "head": "h1", "official": KEY_ID, "seq": 1,
             "nonce": new_nonce(), "encrypted": enc, "scan_sha256": "00" * 32}
    check_body("paper_ballot", {"payload": paper, "sig": "AA"})
    pb = typed("paper_ballot", paper)
    assert isinstance(pb, PaperBallot) and pb.to_json() == paper


def test_an_open_ballot_still_round_trips() -> None:
    p = ballot_payload(ORIGIN, "h1", KEY_ID, 1, {"1": "agree"}, new_nonce())
    assert typed("ballot", p).to_json() == p


@pytest.mark.parametrize("change", ["both", "neither", "empty", "bad-item", "no-sum"])
def test_a_ballot_payload_has_exactly_one_of_choices_and_encrypted(change: str) -> None:
    p = {"origin": ORIGIN, "head": "h1", "key": KEY_ID, "seq": 1, "nonce": new_nonce(),
         "encrypted": {"1": {"options": [], "sum": {}}}}
    if change == "both":
        p["choices"] = {"1": "agree"}
    elif change == "neither":
        del p["encrypted"]
    elif change == "empty":
        p["encrypted"] = {}
    elif change == "bad-item":
        p["encrypted"] = {"01": {"options": [], "sum": {}}}
    else:
        p["encrypted"] = {"1": {"options": []}}
    with pytest.raises(EntryError):
        check_body("ballot", {"payload": p, "sig": "AA"})


def test_trustee_entries_hold_the_signed_envelope_of_their_kind() -> None:
    assert set(TRUSTEE_KINDS) == set(trustee_docs.TYPES) and set(TRUSTEE_KINDS) <= set(KINDS)
    c = full_ceremony(ORIGIN, 2)
    for i, signed in enumerate(c.documents, start=1):
        body = signed.to_json()
        data = encode_entry(i, bytes(32), 1, signed.document.TYPE, body)
        assert parse_entry(data, i).body == body
        # the body is byte for byte the trustee's file without its newline (§5.2)
        assert canonical.encode(body) + b"\n" == trustee_docs.dumps(signed)
        assert canonical.encode(body) in data
    wrong = "trustee.dealing" if c.documents[0].document.TYPE != "trustee.dealing" else \
        "trustee.answer"
    with pytest.raises(EntryError, match="holds a"):
        check_body(wrong, c.documents[0].to_json())
    tampered = c.documents[0].to_json()
    tampered["document"]["extra"] = 1
    with pytest.raises(EntryError):
        check_body(c.documents[0].document.TYPE, tampered)
    with pytest.raises((EntryError, EncodingError)):
        check_body(c.documents[0].document.TYPE, {"document": {}, "signature": "00"})
