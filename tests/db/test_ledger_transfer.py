"""A unit sold during the vote (docs/law.md): the seller's ballot cast before the transfer
stands, otherwise the buyer votes — in the stored log (SQLite and PostgreSQL), in the
tally and in the offline verifier, which must reach the same decisions as the server."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.errors import EntryError
from ledger.kinds import BALLOT, UNIT_TRANSFERRED, VOIDED
from ledger.store import committee as entries
from ledger.store import enrolment, logstore, writer
from ledger.store.logstore import begin_write
from ledger.store.publish import published
from tests.support import stored_count
from tests.support.sample_log import (
    DURING,
    LOG_SIGNER,
    device,
    signed_ballot,
    store_ballot,
)
from tests.support.stored_count import publish_and_verify
from voting.ballots import Approval, Choice
from voting.errors import CastRefused, RefusalReason
from voting.tally import tally

HOUR = dt.timedelta(hours=1)
T = DURING + HOUR  # the registration time of the transfer


def _ms(t: dt.datetime) -> int:
    return int(t.timestamp() * 1000)


def _transfer(session, aid, sign, head, at, buyer="buyer-ref", now=DURING + 3 * HOUR):
    begin_write(session)
    p, s = sign(UNIT_TRANSFERRED, head=head, buyer=buyer, transferred_at=_ms(at),
                evidence_sha256="ab" * 32)
    try:
        out = entries.record_transfer(session, aid, p, s, now=now)
    except Exception:
        session.rollback()
        raise
    session.commit()
    return out


def _finish(session, aid, tmp_path):
    adef, roster = published(session, aid)
    votes = writer.counted_votes(session, aid)
    return votes, publish_and_verify(
        session, aid, tally(roster, adef.items.values(), votes, adef.settings).to_json(), tmp_path)


def test_seller_before_buyer_after_and_the_verifier_agrees(session, log, committee,
                                                           tmp_path) -> None:
    aid, origin, heads = log
    sold = heads[2]  # 1幢-102 (heads[0] holds two units: its sale is refused)
    seller, seller_spki, _ = device()
    buyer, buyer_spki, _ = device()
    begin_write(session)
    enrolment.enroll_key(session, aid, LOG_SIGNER, sold, seller_spki, voter="seller-ref",
                         now=DURING)
    session.commit()
    store_ballot(session, aid, origin, sold, seller, 1, {"1": "agree"}, now=DURING)
    late = store_ballot(session, aid, origin, sold, seller, 2, {"2": ["甲"]}, now=T + HOUR)

    with pytest.raises(EntryError, match="in the future"):
        _transfer(session, aid, committee, sold, DURING + dt.timedelta(days=5))
    with pytest.raises(EntryError, match=f"void the ballots cast at or after the transfer "
                                         f"first: entries {late.index}"):
        _transfer(session, aid, committee, sold, T)
    begin_write(session)
    p, s = committee(VOIDED, target=late.index, reason="cast after the unit was sold")
    entries.void_entry(session, aid, p, s, now=T + 2 * HOUR)
    session.commit()
    _transfer(session, aid, committee, sold, T)
    with pytest.raises(EntryError, match="already recorded"):
        _transfer(session, aid, committee, sold, T)

    with pytest.raises(CastRefused) as refused:
        store_ballot(session, aid, origin, sold, seller, 3, {"2": ["乙"]}, now=T + 4 * HOUR)
    assert refused.value.reason is RefusalReason.UNIT_TRANSFERRED
    begin_write(session)
    enrolment.enroll_key(session, aid, LOG_SIGNER, sold, buyer_spki, voter="buyer-ref",
                      now=T + 4 * HOUR)
    session.commit()
    with pytest.raises(CastRefused) as refused:
        store_ballot(session, aid, origin, sold, buyer, 3, {"1": "oppose", "2": ["乙"]},
              now=T + 4 * HOUR)
    assert refused.value.reason is RefusalReason.SELLER_VOTED_BEFORE_TRANSFER
    assert refused.value.item_id == "1"
    store_ballot(session, aid, origin, sold, buyer, 3, {"2": ["乙"]}, now=T + 4 * HOUR)
    store_ballot(session, aid, origin, sold, buyer, 4, {"2": ["甲"]}, now=T + 5 * HOUR)  # a revote

    # another head is not affected
    other, other_spki, _ = device()
    begin_write(session)
    enrolment.enroll_key(session, aid, LOG_SIGNER, heads[1], other_spki, voter="o", now=T)
    session.commit()
    store_ballot(session, aid, origin, heads[1], other, 1, {"1": "oppose"}, now=T + 5 * HOUR)

    votes, report = _finish(session, aid, tmp_path)
    assert votes[(sold, "1")] == Choice.AGREE  # the seller's, from before the transfer
    assert votes[(sold, "2")] == Approval.of(["甲"])  # the buyer's last
    assert report.valid, {k: v for k, v in report.checks.items() if v}
    assert report.info["transfers"] == 1 and report.info["voided"] == 1


def test_the_verifier_refuses_what_the_server_would_have_refused(session, log,
                                                                committee, tmp_path) -> None:
    """A seller ballot slipped in after the transfer (bypassing the writer's rules) makes
    the bundle fail, naming the casting rule."""
    aid, origin, heads = log
    sold = heads[2]  # 1幢-102 (heads[0] holds two units: its sale is refused)
    seller, seller_spki, _ = device()
    begin_write(session)
    enrolment.enroll_key(session, aid, LOG_SIGNER, sold, seller_spki, voter="seller-ref",
                         now=DURING)
    session.commit()
    store_ballot(session, aid, origin, sold, seller, 1, {"1": "agree"}, now=DURING)
    _transfer(session, aid, committee, sold, T)
    payload, sig = signed_ballot(origin, sold, seller, 2, {"2": ["乙"]})
    from ledger import canonical

    begin_write(session)
    logstore.append(session, aid, BALLOT, {"payload": payload, "sig": canonical.b64url(sig)},
                 now=T + 4 * HOUR, head_id=sold, seq=2)
    session.commit()
    _votes, report = _finish(session, aid, tmp_path)
    assert not report.valid
    problems = [line for lines in report.checks.values() for line in lines]
    assert any("unit_transferred" in line for line in problems), problems


def test_a_mistaken_transfer_is_voided_after_the_buyers_ballots(session, log,
                                                                committee, tmp_path) -> None:
    """Voiding a transfer needs the buyer's ballots voided first; then the head is as if no
    transfer had been recorded (the seller votes again), for the server and the verifier."""
    aid, origin, heads = log
    sold = heads[2]  # 1幢-102 (heads[0] holds two units: its sale is refused)
    seller, seller_spki, _ = device()
    buyer, buyer_spki, _ = device()
    begin_write(session)
    enrolment.enroll_key(session, aid, LOG_SIGNER, sold, seller_spki, voter="seller-ref",
                         now=DURING)
    enrolment.enroll_key(session, aid, LOG_SIGNER, sold, buyer_spki, voter="buyer-ref", now=DURING)
    session.commit()
    store_ballot(session, aid, origin, sold, seller, 1, {"1": "agree"}, now=DURING)
    transfer = _transfer(session, aid, committee, sold, T)
    bought = store_ballot(session, aid, origin, sold, buyer, 2, {"2": ["乙"]}, now=T + 4 * HOUR)

    def void(target):
        stored_count.void(session, aid, committee, target, now=T + 5 * HOUR)

    with pytest.raises(EntryError, match=f"after the transfer first: entries {bought.index}"):
        void(transfer.index)
    void(bought.index)
    void(transfer.index)
    with pytest.raises(EntryError, match="not a ballot that counts"):
        void(transfer.index)
    store_ballot(session, aid, origin, sold, seller, 3, {"2": ["甲"]},
                 now=T + 6 * HOUR)  # seller again
    votes, report = _finish(session, aid, tmp_path)
    assert votes[(sold, "2")] == Approval.of(["甲"])
    assert report.valid, {k: v for k, v in report.checks.items() if v}


def test_the_verifier_refuses_a_transfer_voided_under_a_counting_ballot(
        session, log, committee, tmp_path) -> None:
    from ledger import canonical

    aid, origin, heads = log
    sold = heads[2]  # 1幢-102 (heads[0] holds two units: its sale is refused)
    buyer, buyer_spki, _ = device()
    begin_write(session)
    enrolment.enroll_key(session, aid, LOG_SIGNER, sold, buyer_spki, voter="buyer-ref", now=DURING)
    session.commit()
    transfer = _transfer(session, aid, committee, sold, T)
    store_ballot(session, aid, origin, sold, buyer, 1, {"2": ["乙"]}, now=T + 4 * HOUR)
    p, s = committee(VOIDED, target=transfer.index, reason="slipped in")
    begin_write(session)  # bypassing committee.void_entry, which refuses this
    logstore.append(session, aid, VOIDED, {"payload": p, "sig": canonical.b64url(s)},
                 now=T + 5 * HOUR)
    session.commit()
    _votes, report = _finish(session, aid, tmp_path)
    problems = [line for lines in report.checks.values() for line in lines]
    assert any(f"voids transfer {transfer.index} while a later ballot" in line
               for line in problems), problems
