"""Canonical JSON, signed notes (Go sumdb/note reference vector), checkpoints,
cosignatures, key files and ballot signatures."""

from __future__ import annotations

import json
import os
import stat

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import canonical, keys, note
from ledger.ballots import (
    ballot_payload,
    key_id,
    new_nonce,
    sign_p256,
    signing_message,
    spki,
    verify_ballot_signature,
)
from ledger.errors import EncodingError, KeyFileError, NoteError, SignatureError
from ledger.note import ALG_COSIGNATURE_V1, Checkpoint

GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIG = (
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
GO_NOTE = GO_TEXT + "\n\u2014 PeterNeumann " + GO_SIG + "\n"


# -- canonical JSON ----------------------------------------------------------------------


def test_canonical_matches_json_stringify_with_sorted_keys() -> None:
    # What JavaScript's JSON.stringify gives for the same object with keys inserted sorted.
    value = {
        "z": [1, -2, True, None],
        "a": '引号"\\\n\t\u0001\u007f\u2028é',
        "m": {"b": 0, "a": ""},
    }
    assert canonical.encode(value) == (
        b'{"a":"\xe5\xbc\x95\xe5\x8f\xb7\\"\\\\\\n\\t\\u0001\x7f\xe2\x80\xa8\xc3\xa9",'
        b'"m":{"a":"","b":0},"z":[1,-2,true,null]}'
    )


@pytest.mark.parametrize(
    "bad",
    [
        b'{"a":1,"a":2}',
        b'{"a":1.0}',
        b'{"a":1e3}',
        b'{ "a":1}',
        b'{"b":1,"a":2}',
        b"9007199254740992",
        b'"\\u0041"',
        b'"\\/"',
        b"NaN",
        b'{"a":01}',
        b'"\xff"',
        b'{"a":1}\n',
        b"[1,]",
    ],
)
def test_decode_refuses_non_canonical(bad: bytes) -> None:
    with pytest.raises(EncodingError):
        canonical.decode(bad)


@pytest.mark.parametrize("bad", [1.5, {1: "x"}, {"é": 1}, 2**53, b"bytes", "\ud800"])
def test_encode_refuses_outside_the_subset(bad) -> None:
    with pytest.raises(EncodingError):
        canonical.encode(bad)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(alphabet=st.characters(max_codepoint=127), max_size=5), inner, max_size=4
        )
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_canonical_round_trip_and_agrees_with_plain_json(value) -> None:
    data = canonical.encode(value)
    assert canonical.decode(data) == value
    assert canonical.decode_fast(data) == value
    assert json.loads(data) == value


@settings(max_examples=300, deadline=None)
@given(json_values, st.data())
def test_any_byte_change_is_refused_or_changes_the_value(value, data) -> None:
    encoded = canonical.encode(value)
    pos = data.draw(st.integers(0, len(encoded) - 1))
    new = data.draw(st.integers(0, 255).filter(lambda b: b != encoded[pos]))
    mutated = encoded[:pos] + bytes([new]) + encoded[pos + 1 :]
    try:
        decoded = canonical.decode(mutated)
    except EncodingError:
        return
    assert decoded != value  # accepted only as a different value: never two spellings


def test_base64url_and_hex_are_strict() -> None:
    assert canonical.unb64url("AAE", "x") == b"\x00\x01"
    for bad in ["AAE=", "AA+", "AAF", "A"]:
        with pytest.raises(EncodingError):
            canonical.unb64url(bad, "x")
    with pytest.raises(EncodingError):
        canonical.unhex("AB" * 32, 32)


# -- signed notes, checkpoints, cosignatures -----------------------------------------------


def test_go_sumdb_note_reference_vector() -> None:
    signer = keys.parse_skey(GO_SKEY)
    assert signer.verifier.vkey == GO_VKEY
    assert note.Verifier.parse(GO_VKEY) == signer.verifier
    assert note.sign_note(GO_TEXT, signer).serialize() == GO_NOTE
    parsed = note.parse_note(GO_NOTE)
    note.verify_note_signature(parsed, signer.verifier)
    tampered = note.parse_note(GO_NOTE.replace("problem is", "problem was"))
    with pytest.raises(NoteError):
        note.verify_note_signature(tampered, signer.verifier)
    assert keys.format_skey(signer).strip() == GO_SKEY


@pytest.mark.parametrize(
    "bad",
    [
        GO_NOTE.replace("\n\n", "\n"),
        GO_NOTE[:-1],
        GO_NOTE.replace("\u2014", "-"),
        GO_TEXT + "\n",
        GO_NOTE + "\u2014 x AAAA\n".replace("AAAA", "!!"),
    ],
)
def test_malformed_notes(bad: str) -> None:
    with pytest.raises(NoteError):
        note.parse_note(bad)


def test_checkpoint_format_and_cosignature() -> None:
    log = keys.generate("ownervote.example/log")
    cp = Checkpoint("ownervote.example/c/assembly/1", 20852163, bytes(range(32)))
    text = cp.text()
    assert text == (
        "ownervote.example/c/assembly/1\n20852163\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
    )
    signed = note.sign_checkpoint(cp, log)
    assert note.open_checkpoint(signed.serialize(), log.verifier)[0] == cp
    for bad in ["o\n01\nAA==\n", "o\n1\nAAEC\n", "o\n1\n" + text.split("\n")[2] + "\nx\n"]:
        with pytest.raises(NoteError):
            Checkpoint.parse(bad)
    w = keys.generate("street-office.example/w1", ALG_COSIGNATURE_V1)
    sig = note.cosign(text, w, 1679315147)
    assert note.verify_cosignature(text, sig, w.verifier) == 1679315147
    assert w.verifier.key_id == note.note_key_id(w.name, 0x04, w.verifier.public_key)
    # the signed message is cosignature/v1 + time line + the checkpoint body
    w.verifier.ed25519().verify(
        sig.signature[8:], b"cosignature/v1\ntime 1679315147\n" + text.encode()
    )
    with pytest.raises(note.CosignatureError):
        note.verify_cosignature(text.replace("20852163", "20852164"), sig, w.verifier)
    with pytest.raises(note.CosignatureError):
        note.cosign(text, log, 1)  # a log (0x01) key cannot cosign


# -- key files -------------------------------------------------------------------------------


def test_log_key_file_is_private_and_rotates(tmp_path) -> None:
    path = tmp_path / "log.key"
    k1 = keys.load_or_create_log_key(path, "vote.example/log")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.load_or_create_log_key(path).verifier == k1.verifier
    os.chmod(path, 0o640)
    with pytest.raises(KeyFileError, match="chmod 600"):
        keys.load_or_create_log_key(path)
    os.chmod(path, 0o600)
    k2, retired = keys.rotate_log_key(path)
    assert k2.verifier != k1.verifier and k2.name == "vote.example/log"
    assert set(keys.load_key_ring(path)) == {k1.verifier.vkey, k2.verifier.vkey}
    assert stat.S_IMODE(retired.stat().st_mode) == 0o600
    with pytest.raises(KeyFileError):
        keys.parse_skey(GO_SKEY.replace("c74f20a3", "c74f20a4"))


def test_origin_uses_the_base_url_host() -> None:
    assert keys.log_origin("https://vote.example.cn/", "zp-garden", 7) == (
        "vote.example.cn/zp-garden/assembly/7"
    )
    assert keys.log_origin(None, "漳平 Garden", 7) == "ownervote.example/Garden/assembly/7"
    assert keys.log_key_name("https://vote.example.cn") == "vote.example.cn/log"


# -- ballot signatures -------------------------------------------------------------------------

ORIGIN = "vote.example.cn/zp/assembly/7"


def _ballot():
    k = ec.generate_private_key(ec.SECP256R1())
    der = spki(k.public_key())
    payload = ballot_payload(
        ORIGIN, "h-0123456789abcdef", key_id(der), 3, {"1": "agree", "2": ["甲"]}, new_nonce()
    )
    return k, der, payload


def test_ballot_message_bytes_are_prefix_and_canonical_json() -> None:
    payload = ballot_payload(
        ORIGIN, "h-0123456789abcdef", "ab" * 32, 1, {"1": "agree"}, "AAAAAAAAAAAAAAAAAAAAAA"
    )
    assert signing_message(payload) == (
        b'ownervote/ballot/v1\n{"choices":{"1":"agree"},"head":"h-0123456789abcdef",'
        b'"key":"' + b"ab" * 32 + b'","nonce":"AAAAAAAAAAAAAAAAAAAAAA",'
        b'"origin":"vote.example.cn/zp/assembly/7","seq":1}'
    )


def test_p1363_signatures_verify_and_tampering_fails() -> None:
    k, der, payload = _ballot()
    sig = sign_p256(k, signing_message(payload))
    assert len(sig) == 64
    verify_ballot_signature(der, payload, sig)
    for changed in [
        {**payload, "seq": 4},
        {**payload, "origin": "other/assembly/7"},
        {**payload, "choices": {"1": "oppose", "2": ["甲"]}},
    ]:
        with pytest.raises(SignatureError):
            verify_ballot_signature(der, changed, sig)
    with pytest.raises(SignatureError):
        verify_ballot_signature(der, payload, sig[:32] + bytes(32))
    with pytest.raises(SignatureError):  # a DER signature is not what WebCrypto sends
        der_sig = k.sign(signing_message(payload), ec.ECDSA(hashes.SHA256()))
        verify_ballot_signature(der, payload, der_sig)
    # domain separation: the same payload signed for another purpose does not verify
    from ledger.ballots import PREFIXES

    other = sign_p256(k, PREFIXES["paper_ballot"] + canonical.encode(payload))
    with pytest.raises(SignatureError):
        verify_ballot_signature(der, payload, other)


def test_voter_keys_must_be_p256() -> None:
    k = ec.generate_private_key(ec.SECP384R1())
    der = spki(k.public_key())
    payload = ballot_payload(
        ORIGIN, "h-0123456789abcdef", key_id(der), 1, {"1": "agree"}, new_nonce()
    )
    with pytest.raises(SignatureError, match="P-256"):
        verify_ballot_signature(der, payload, bytes(64))


def test_a_refusal_keeps_its_code_and_figures_across_processes() -> None:
    """The verifier's workers send errors back pickled: code and params must survive."""
    import pickle

    from ledger.errors import BallotError, Refusal

    error = BallotError("ballot number 1 is not the head's next (2)", 7,
                        code=Refusal.SEQ_CONFLICT, params={"next_seq": 2})
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is BallotError and str(copy) == str(error)
    assert (copy.code, dict(copy.params), copy.index) == (Refusal.SEQ_CONFLICT, {"next_seq": 2}, 7)
