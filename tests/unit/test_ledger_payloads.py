"""Typed signed payloads (ledger.payloads): every checked payload becomes its frozen value
and gives back exactly what was signed."""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger import canonical, kinds, payloads
from ledger.entries import check_body, parse_entry

HEX = st.binary(min_size=32, max_size=32).map(bytes.hex)
NONCE = st.binary(min_size=16, max_size=16).map(canonical.b64url)
HEAD = st.from_regex(r"\A[A-Za-z0-9_.:-]{1,20}\Z")
TEXT = st.text(max_size=30)
PSEUDONYM = st.text(min_size=1, max_size=64)
ORIGIN = st.just("ownervote.test/assembly/1")
MS = st.integers(min_value=0, max_value=2**52)
SEQ = st.integers(min_value=1, max_value=10**6)
ITEM = st.integers(min_value=1, max_value=9999).map(str)
CHOICE = st.one_of(st.sampled_from(["agree", "oppose", "abstain"]),
                   st.lists(st.text(min_size=1, max_size=8), unique=True, max_size=4))
CHOICES = st.dictionaries(ITEM, CHOICE, min_size=1, max_size=5)
SPKI = st.binary(min_size=1, max_size=91).map(canonical.b64url)

PAYLOADS = {
    kinds.BALLOT: st.fixed_dictionaries({
        "origin": ORIGIN, "head": HEAD, "key": HEX, "seq": SEQ, "nonce": NONCE,
        "choices": CHOICES}),
    kinds.PAPER_BALLOT: st.fixed_dictionaries({
        "origin": ORIGIN, "head": HEAD, "official": HEX, "seq": SEQ, "nonce": NONCE,
        "choices": CHOICES, "scan_sha256": HEX}),
    kinds.PROXY_REGISTERED: st.fixed_dictionaries({
        "origin": ORIGIN, "head": HEAD, "agent": PSEUDONYM, "official": HEX, "nonce": NONCE,
        "evidence_sha256": HEX}),
    kinds.REPRESENTATIVE_SET: st.fixed_dictionaries({
        "origin": ORIGIN, "head": HEAD, "voter": PSEUDONYM, "official": HEX, "nonce": NONCE}),
    kinds.UNIT_TRANSFERRED: st.fixed_dictionaries({
        "origin": ORIGIN, "head": HEAD, "buyer": PSEUDONYM, "transferred_at": MS,
        "official": HEX, "nonce": NONCE, "evidence_sha256": HEX}),
    kinds.VOIDED: st.fixed_dictionaries({
        "origin": ORIGIN, "target": st.integers(min_value=0, max_value=10**9),
        "reason": TEXT, "official": HEX, "nonce": NONCE}),
    kinds.KEY_ENROLLED: st.one_of(
        st.fixed_dictionaries({"origin": ORIGIN, "head": HEAD, "key": HEX, "spki": SPKI,
                               "role": st.just("owner"), "agent": st.none(),
                               "voter": PSEUDONYM}),
        st.fixed_dictionaries({"origin": ORIGIN, "head": HEAD, "key": HEX, "spki": SPKI,
                               "role": st.just("proxy"), "agent": PSEUDONYM,
                               "voter": PSEUDONYM})),
    kinds.KEY_REVOKED: st.fixed_dictionaries({
        "origin": ORIGIN, "head": HEAD, "key": HEX, "reason": TEXT}),
    kinds.OFFICIAL_ENROLLED: st.fixed_dictionaries({
        "origin": ORIGIN, "official": HEX, "spki": SPKI, "role": st.just("committee"),
        "ref": PSEUDONYM}),
}


def test_every_signed_kind_has_a_payload_strategy_here() -> None:
    assert set(PAYLOADS) == set(kinds.SIGNED)


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
@given(data=st.data())
def test_a_checked_payload_round_trips_through_its_typed_value(kind: str, data) -> None:
    raw = data.draw(PAYLOADS[kind])
    body = {"payload": raw, "sig": canonical.b64url(b"\x01" * 64)}
    check_body(kind, body)  # the strategies make only well-formed payloads
    typed = payloads.typed(kind, raw)
    assert type(typed).kind == kind and typed.origin == raw["origin"]
    assert typed.to_json() == raw
    assert canonical.encode(typed.to_json()) == canonical.encode(raw)  # the signed bytes
    with pytest.raises(dataclasses.FrozenInstanceError):
        typed.origin = "elsewhere"  # type: ignore[misc]


@given(raw=PAYLOADS[kinds.BALLOT])
def test_a_ballots_choices_cannot_be_changed_after_parsing(raw) -> None:
    ballot = payloads.typed(kinds.BALLOT, raw)
    assert isinstance(ballot, payloads.Ballot)
    with pytest.raises(TypeError):
        ballot.choices["1"] = "agree"  # type: ignore[index]
    for item, choice in ballot.choices.items():
        assert choice == (raw["choices"][item] if isinstance(choice, str)
                          else tuple(raw["choices"][item]))


def test_a_kind_without_a_signed_payload_has_no_payload_type() -> None:
    with pytest.raises(KeyError):
        payloads.typed(kinds.CLOSED, {"reason": "deadline"})


def test_the_worked_examples_signed_entries_parse_to_their_types() -> None:
    example = Path(__file__).parents[1] / "data" / "ledger" / "example.zip"
    with zipfile.ZipFile(example) as z:
        lines = z.read("entries.jsonl").split(b"\n")[:-1]
    seen = set()
    for index, line in enumerate(lines):
        entry = parse_entry(line, index)
        if entry.kind not in kinds.SIGNED:
            continue
        assert entry.payload is not None
        seen.add(type(entry.payload))
        assert entry.payload.to_json() == entry.body["payload"]
    assert payloads.Ballot in seen and payloads.KeyEnrolled in seen
