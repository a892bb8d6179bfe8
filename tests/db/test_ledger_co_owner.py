"""The co-owner rule on every channel, through the stored writer (SQLite and PostgreSQL).

Only the unit's representative votes for it — the co-owner the committee records, else
the first one a ballot names — whether the ballot is electronic, paper (the co-owner who
signed it) or a proxy's (the co-owner who signed the written proxy).  The exported
bundle then verifies offline: the server and the verifier apply the same rule.
"""

from __future__ import annotations

import pytest

from ledger.ballots import new_nonce
from ledger.kinds import PAPER_BALLOT, PROXY_REGISTERED, REPRESENTATIVE_SET
from ledger.store import committee as entries
from ledger.store import enrolment, writer
from ledger.store.logstore import begin_write
from ledger.store.publish import published
from tests.support.sample_log import DURING, LOG_SIGNER, device, store_ballot
from tests.support.stored_count import CLOSED, publish_and_verify
from voting.errors import CastRefused, RefusalReason
from voting.tally import tally


def _paper(session, aid, official, head, seq, choices, voter=None):
    extra = {} if voter is None else {"voter": voter}
    p, s = official(PAPER_BALLOT, head=head, seq=seq, choices=choices, scan_sha256="cd" * 32,
                    **extra)
    begin_write(session)
    try:
        out = writer.enter_paper_ballot(session, aid, p, s, now=DURING)
    except Exception:
        session.rollback()
        raise
    session.commit()
    return out


def _proxy_key(session, aid, official, head, agent, voter):
    p, s = official(PROXY_REGISTERED, head=head, agent=agent, evidence_sha256="ef" * 32)
    begin_write(session)
    entries.register_proxy(session, aid, p, s, now=DURING)
    key, spki, _ = device()
    enrolment.enroll_key(session, aid, LOG_SIGNER, head, spki, role="proxy", agent=agent,
                         voter=voter, now=DURING)
    session.commit()
    return key


def _owner_key(session, aid, head, voter):
    key, spki, _ = device()
    begin_write(session)
    enrolment.enroll_key(session, aid, LOG_SIGNER, head, spki, voter=voter, now=DURING)
    session.commit()
    return key


def test_only_the_representative_votes_on_every_channel(session, log, committee, tmp_path):
    aid, origin, heads = log
    co_owned = heads[0]
    a = _owner_key(session, aid, co_owned, "co-owner-a")
    store_ballot(session, aid, origin, co_owned, a, 1, {"1": "agree"})
    session.commit()

    # a proxy signed by the other co-owner does not replace co-owner a's ballot
    proxy_b = _proxy_key(session, aid, committee, co_owned, "agent-7", "co-owner-b")
    with pytest.raises(CastRefused) as info:
        store_ballot(session, aid, origin, co_owned, proxy_b, 2, {"1": "oppose"})
    session.rollback()
    assert info.value.reason is RefusalReason.CO_OWNER_ALREADY_VOTED
    assert info.value.voter == "co-owner-a"

    # nor is co-owner b's paper ballot accepted on an item co-owner a left blank
    with pytest.raises(CastRefused) as info:
        _paper(session, aid, committee, co_owned, 2, {"2": ["甲"]}, voter="co-owner-b")
    assert info.value.reason is RefusalReason.CO_OWNER_ALREADY_VOTED
    # the dry run the paper page makes says the same before anyone signs
    with pytest.raises(CastRefused, match="co-owner co-owner-a votes for this unit"):
        writer.check_paper_ballot(session, aid, {
            "origin": origin, "head": co_owned, "official": "0" * 64, "seq": 2,
            "nonce": new_nonce(), "choices": {"2": ["甲"]}, "voter": "co-owner-b"}, now=DURING)
    session.rollback()

    # co-owner a's own paper ballot and a's proxy are accepted
    _paper(session, aid, committee, co_owned, 2, {"2": ["甲"]}, voter="co-owner-a")
    proxy_a = _proxy_key(session, aid, committee, co_owned, "agent-8", "co-owner-a")
    store_ballot(session, aid, origin, co_owned, proxy_a, 3, {"1": "oppose"})
    session.commit()

    # the committee records co-owner b: from then on only b votes, on every channel
    p, s = committee(REPRESENTATIVE_SET, head=co_owned, voter="co-owner-b")
    begin_write(session)
    entries.set_representative(session, aid, p, s, now=DURING)
    session.commit()
    with pytest.raises(CastRefused, match="co-owner co-owner-b votes"):
        _paper(session, aid, committee, co_owned, 4, {"1": "agree"}, voter="co-owner-a")
    b = _owner_key(session, aid, co_owned, "co-owner-b")
    store_ballot(session, aid, origin, co_owned, b, 4, {"1": "agree"})
    session.commit()

    votes = writer.counted_votes(session, aid)
    assert votes[(co_owned, "1")].value == "agree"

    # the verifier replays the same rule and agrees with the stored count
    adef, roster = published(session, aid)
    report = publish_and_verify(
        session, aid, tally(roster, adef.items.values(), votes, adef.settings).to_json(), tmp_path,
        published_at=CLOSED, checkpoint=False)
    assert report.valid, {k: v for k, v in report.checks.items() if v}
