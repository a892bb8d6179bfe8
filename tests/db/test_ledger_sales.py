"""A unit sold during the vote out of a multi-unit head (docs/rules.md §7.7): the frozen head
is split — in the stored log (SQLite and PostgreSQL), the server's tally and the offline
verifier, which must agree."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.errors import EntryError, Refusal
from ledger.kinds import UNIT_TRANSFERRED
from ledger.store import committee as entries
from ledger.store import enrolment, proceedings, writer
from ledger.store.logstore import begin_write
from ledger.store.publish import published
from ledger.store.sales import sales_now
from tests.support import stored_count
from tests.support.sample_log import DURING, LOG_SIGNER, device, store_ballot
from tests.support.stored_count import publish_and_verify
from voting.ballots import Approval, Choice
from voting.errors import CastRefused, RefusalReason
from voting.sales import new_head_id, tally_with_sales
from voting.store.models import Assembly

HOUR = dt.timedelta(hours=1)
T = DURING + HOUR  # the registration time of the transfers


def _ms(t: dt.datetime) -> int:
    return int(t.timestamp() * 1000)


def _sell(session, aid, sign, head, unit=None, at=T, buyer="buyer-ref", **extra):
    begin_write(session)
    fields = {"unit": unit} if unit is not None else {}
    p, s = sign(UNIT_TRANSFERRED, head=head, buyer=buyer, transferred_at=_ms(at),
                evidence_sha256="ab" * 32, **fields, **extra)
    try:
        out = entries.record_transfer(session, aid, p, s, now=DURING + 3 * HOUR)
    except Exception:
        session.rollback()
        raise
    session.commit()
    return out


def _enrol(session, aid, head, voter, now=T + HOUR):
    k, spki, _ = device()
    begin_write(session)
    enrolment.enroll_key(session, aid, LOG_SIGNER, head, spki, voter=voter, now=now)
    session.commit()
    return k


def _finish(session, aid, tmp_path):
    """Close, publish the server's count (ledger.store.proceedings.compute_result) and
    verify the bundle offline: the verifier must recompute the same result."""
    result = proceedings.compute_result(session, session.get(Assembly, aid))
    adef, roster = published(session, aid)
    sales = sales_now(session, aid)
    assert sales is not None
    assert result.to_json() == tally_with_sales(
        roster, adef.items.values(), writer.counted_votes(session, aid), adef.settings,
        sales.sales).to_json()
    return result, publish_and_verify(session, aid, result.to_json(), tmp_path)


def test_one_unit_sold_out_of_a_multi_unit_head(session, log, committee, tmp_path) -> None:
    aid, origin, _heads = log
    roster = published(session, aid)[1]
    session.commit()
    developer = roster.head_of_unit["2幢-203"]  # with 2幢-204: one owner, 188.87
    zhao = roster.head_of_unit["2幢-201"]  # with 2幢-202: one owner
    zhang = roster.head_of_unit["1幢-101"]
    dev_key = _enrol(session, aid, developer, "dev-ref", now=DURING)
    store_ballot(session, aid, origin, developer, dev_key, 1, {"1": "agree"}, now=DURING)

    for unit, code in ((None, Refusal.MULTI_UNIT_TRANSFER),
                       ("1幢-101", Refusal.UNIT_NOT_IN_HEAD)):
        with pytest.raises(EntryError) as refused:
            _sell(session, aid, committee, developer, unit)
        assert refused.value.code is code
    _sell(session, aid, committee, developer, "2幢-204")
    with pytest.raises(EntryError) as refused:  # sold already: no longer the developer's
        _sell(session, aid, committee, developer, "2幢-204")
    assert refused.value.code is Refusal.UNIT_NOT_IN_HEAD
    # 赵 sells 2幢-202 to 张, who already owns 1幢-101: one owner
    _sell(session, aid, committee, zhao, "2幢-202", buyer="zhang-ref", buyer_head=zhang)

    buyer = new_head_id("2幢-204")
    buyer_key = _enrol(session, aid, buyer, "buyer-ref")
    with pytest.raises(CastRefused) as cast:  # the developer's ballot on 1 stands
        store_ballot(session, aid, origin, buyer, buyer_key, 1, {"1": "oppose"}, now=T + HOUR)
    assert cast.value.reason is RefusalReason.SELLER_VOTED_BEFORE_TRANSFER
    store_ballot(session, aid, origin, buyer, buyer_key, 1, {"2": ["乙"]}, now=T + HOUR)
    with pytest.raises(CastRefused) as cast:  # … and the developer may not change it
        store_ballot(session, aid, origin, developer, dev_key, 2, {"1": "oppose"},
                     now=T + 2 * HOUR)
    assert cast.value.reason is RefusalReason.SOLD_UNIT_VOTE_STANDS
    store_ballot(session, aid, origin, developer, dev_key, 2, {"2": ["甲"]}, now=T + 2 * HOUR)

    result, report = _finish(session, aid, tmp_path)
    assert report.valid, {k: v for k, v in report.checks.items() if v}
    motion, election = result.item("1"), result.item("2")
    # item 1: the developer voted before the sale: counted whole, one owner (张 has 2幢-202)
    assert (motion.total.heads, str(motion.agree.area), motion.agree.heads) == (4, "188.87", 1)
    # item 2: the developer keeps 2幢-203, the buyer is one owner more
    assert election.total.heads == 5
    assert election.total.area == motion.total.area == result.total.area
    assert result.total.heads == 5
    assert election.election is not None
    approvals = {c.candidate: c for c in election.election.candidates}
    assert str(approvals["甲"].agree.area) == "99.99"
    assert str(approvals["乙"].agree.area) == "88.88"
    assert result.item("2").participating.heads == 2


def test_a_split_is_voided_only_after_the_buyers_entries(session, log, committee,
                                                        tmp_path) -> None:
    aid, origin, _heads = log
    developer = published(session, aid)[1].head_of_unit["2幢-203"]
    session.commit()
    sale = _sell(session, aid, committee, developer, "2幢-204")
    buyer = new_head_id("2幢-204")
    key = _enrol(session, aid, buyer, "buyer-ref")
    ballot = store_ballot(session, aid, origin, buyer, key, 1, {"2": ["乙"]}, now=T + HOUR)

    def void(target):
        stored_count.void(session, aid, committee, target, now=T + 5 * HOUR)

    with pytest.raises(EntryError) as refused:
        void(sale.index)
    assert refused.value.code is Refusal.VOID_LATER_BALLOTS_FIRST
    assert ballot.index in refused.value.params["entries"]
    votes = writer.counted_votes(session, aid)
    assert votes[(buyer, "2")] == Approval.of(["乙"])
    assert Choice.AGREE not in votes.values()


def test_the_announcement_lists_the_units_a_sellers_ballot_covered(session, log,
                                                                   committee) -> None:
    """The seller's ballot cast before the sale stands for the sold unit (rules §7.7 point
    1): the announcement's list of voting units names it, though it is the buyer's now."""
    from ownervote.services import figures

    aid, origin, _heads = log
    roster = published(session, aid)[1]
    session.commit()
    developer = roster.head_of_unit["2幢-203"]  # with 2幢-204
    dev_key = _enrol(session, aid, developer, "dev-ref", now=DURING)
    store_ballot(session, aid, origin, developer, dev_key, 1, {"1": "agree"}, now=DURING)
    _sell(session, aid, committee, developer, "2幢-204")
    s = figures.snapshot(session, aid)
    session.commit()
    labels = [label for label, _area in figures.voter_units(s)]
    assert labels == ["2幢-203", "2幢-204"]
    # the buyer votes on item 2 (the developer's on item 1 stands): the unit is listed once
    buyer_key = _enrol(session, aid, new_head_id("2幢-204"), "buyer-ref")
    store_ballot(session, aid, origin, new_head_id("2幢-204"), buyer_key, 1, {"2": ["乙"]},
                 now=T + HOUR)
    s = figures.snapshot(session, aid)
    session.commit()
    assert [label for label, _area in figures.voter_units(s)] == ["2幢-203", "2幢-204"]
