"""The ceremony's documents (ledger.secret.trustee_docs, trustee_sig, transport, ceremony):
signed, canonical, bound to their assembly; complaints, answers and the qualified set."""

from __future__ import annotations

import dataclasses

import pytest

from ledger.secret import dkg, transport
from ledger.secret import trustee_docs as td
from ledger.secret.ceremony import Ceremony
from ledger.secret.trustee_errors import (
    CeremonyError,
    DocumentError,
    ProofFailed,
    TransportError,
    TrusteeSignatureError,
)
from tests.support.trustees import ORIGIN, World, announce, dealing


def _confirm_all(world: World, state: Ceremony, skip: frozenset[int] = frozenset()) -> None:
    for who in range(1, world.n + 1):
        if who in skip:
            continue
        good = []
        for i in sorted(state.dealings):
            d = state.dealing(i)
            try:
                value = transport.open_share(d.shares[who - 1], origin=ORIGIN, dealer=i,
                                             own_key=world.trustees[who].transport, where="s")
            except TransportError:
                value = None
            if value is not None and dkg.verify_share(value, d.commitments, who):
                good.append((i, state.dealings[i].digest()))
            else:
                world.publish(td.Complaint(ORIGIN, who, i, state.dealings[i].digest(), "bad share"))
        world.publish(td.Confirmation(ORIGIN, who, tuple(good)))


def test_a_clean_ceremony_goes_from_announcing_to_final() -> None:
    world = announce(3, 2)
    assert Ceremony.build(world.docs[:2]).status().phase == "announcing"
    for i in (1, 2):
        world.publish(dealing(world, i))
    state = Ceremony.build(world.docs)
    assert state.status().phase == "dealing" and state.status().missing_dealings == (3,)
    world.publish(dealing(world, 3))
    state = Ceremony.build(world.docs)
    assert state.status().phase == "confirming"
    _confirm_all(world, state)
    status = Ceremony.build(world.docs).status()
    assert status.final and status.qualified == (1, 2, 3) and status.holders == (1, 2, 3)
    assert status.key == dkg.joint_public_key(
        {i: t.poly.commitments() for i, t in world.trustees.items() if t.poly}, (1, 2, 3))


def test_a_bad_share_is_complained_about_and_the_answer_decides() -> None:
    world = announce(3, 2)
    for i in (1, 2, 3):
        world.publish(dealing(world, i, corrupt_for=3 if i == 2 else None))
    state = Ceremony.build(world.docs)
    _confirm_all(world, state)
    status = Ceremony.build(world.docs).status()
    assert status.phase == "confirming" and status.open_complaints == ((3, 2),)
    assert Ceremony.build(world.docs).status(closed=True).qualified == (1, 3)  # unanswered
    # dealer 2 answers with the right share: it stays qualified and 3 holds its share
    poly = world.trustees[2].poly
    assert poly is not None
    answered = [*world.docs]
    world.publish(td.Answer(ORIGIN, 2, 3, poly(3)))
    status = Ceremony.build(world.docs).status()
    assert status.final and status.qualified == (1, 2, 3) and 3 in status.holders
    # a wrong answer disqualifies the dealer
    world.docs = answered
    world.publish(td.Answer(ORIGIN, 2, 3, (poly(3) + 1) % dkg.L))
    status = Ceremony.build(world.docs).status()
    assert status.final and status.qualified == (1, 3)


def test_an_absent_dealer_and_a_lost_trustee_after_the_close() -> None:
    world = announce(5, 3)
    for i in (1, 2, 3, 4):
        world.publish(dealing(world, i))
    state = Ceremony.build(world.docs)
    _confirm_all(world, state, skip=frozenset({5}))
    assert Ceremony.build(world.docs).status().phase == "dealing"
    status = Ceremony.build(world.docs).status(closed=True)
    assert status.final and status.qualified == (1, 2, 3, 4) and status.holders == (1, 2, 3, 4)
    world3 = announce(3, 3)
    world3.publish(dealing(world3, 1))
    assert Ceremony.build(world3.docs).status(closed=True).phase == "failed"


def test_documents_are_canonical_signed_and_bound() -> None:
    world = announce(3, 2)
    signed = world.publish(dealing(world, 1))
    again = td.loads(td.dumps(signed), "dealing-1.json")
    assert again == signed and again.digest() == signed.digest()
    with pytest.raises(DocumentError, match="canonical"):
        td.loads(td.dumps(signed).replace(b'{"document":', b'{ "document":'), "f")
    with pytest.raises(DocumentError, match=r"f\.document\.v: unsupported version"):
        td.loads(td.dumps(signed).replace(b'"v":1', b'"v":true'), "f")
    forged = dataclasses.replace(signed, signature=bytes(64))
    with pytest.raises(TrusteeSignatureError, match="d1"):
        Ceremony.build([*world.docs[:3], ("d1", forged)])
    # signed by trustee 2, claiming to be trustee 1's
    with pytest.raises(TrusteeSignatureError):
        Ceremony.build([*world.docs[:3], ("d1", td.sign(signed.document,
                                                        world.trustees[2].signing))])
    other = td.sign(dataclasses.replace(signed.document, origin=ORIGIN + "9"),
                    world.trustees[1].signing)
    with pytest.raises(CeremonyError, match="origin"):
        Ceremony.build([*world.docs[:3], ("d1", other)])
    # equivocation: a second, different dealing
    world.publish(dealing(world, 1))
    with pytest.raises(CeremonyError, match="second, different dealing from trustee 1"):
        Ceremony.build(world.docs)


def test_a_dealing_with_a_bad_proof_or_missing_share_is_refused() -> None:
    world = announce(3, 2)
    d = dealing(world, 1)
    swapped = dataclasses.replace(d, proofs=(d.proofs[1], d.proofs[0]))
    with pytest.raises(ProofFailed, match=r"x\.proofs\[0\]"):
        Ceremony.build([*world.docs, ("x", td.sign(swapped, world.trustees[1].signing))])
    short = dataclasses.replace(d, shares=d.shares[:2])
    with pytest.raises(CeremonyError, match="one share for each trustee"):
        Ceremony.build([*world.docs, ("x", td.sign(short, world.trustees[1].signing))])
    with pytest.raises(DocumentError, match=r"document\.commitments\[0\]"):
        obj = td.sign(d, world.trustees[1].signing).to_json()
        obj["document"]["commitments"][0] = "01" + "00" * 31  # the identity
        td.parse_signed(obj, "x")


def test_sealed_shares_open_only_for_their_recipient_and_binding() -> None:
    world = announce(3, 2)
    t2, t3 = world.trustees[2], world.trustees[3]
    sealed = transport.seal(12345, origin=ORIGIN, dealer=1, recipient=2,
                            recipient_key=transport.public_bytes(t2.transport))
    assert transport.open_share(sealed, origin=ORIGIN, dealer=1, own_key=t2.transport,
                                where="s") == 12345
    bad = [
        (sealed, ORIGIN, 1, t3.transport),  # wrong recipient
        (sealed, ORIGIN + "x", 1, t2.transport),  # another assembly
        (sealed, ORIGIN, 3, t2.transport),  # another dealer
        (dataclasses.replace(sealed, to=3), ORIGIN, 1, t2.transport),
        (dataclasses.replace(sealed, box=bytes([sealed.box[0] ^ 1]) + sealed.box[1:]),
         ORIGIN, 1, t2.transport),
    ]
    for box, origin, dealer, key in bad:
        with pytest.raises(TransportError, match="where"):
            transport.open_share(box, origin=origin, dealer=dealer, own_key=key, where="where")
    with pytest.raises(TransportError):  # a low-order "public key" (all zeros)
        transport.seal(1, origin=ORIGIN, dealer=1, recipient=2, recipient_key=bytes(32))
