"""A counted election through the real services: two seats among 甲, 乙, 丙, every owner
approves 甲 only, so 甲 is elected and one seat stays open (partly elected) — the start
of the further-round (另行选举) tests in tests/db and tests/web."""

from __future__ import annotations

import datetime as dt

from cryptography.hazmat.primitives.asymmetric import ec

from ledger.ballots import ballot_payload, key_id, new_nonce, sign_p256, signing_message, spki
from ledger.keys import load_or_create_log_key, log_key_name
from ledger.store import enrolment, logstore, writer
from ledger.store.logstore import begin_write
from ledger.store.publish import published
from ownervote.services import assemblies, notices, proceedings
from voting.items import ItemSpec
from voting.settings import AssemblySettings

DAY = dt.timedelta(days=1)


def open_election(session, community_id: int, ov_settings, settings: AssemblySettings, *,
                  notice_at: dt.datetime) -> int:
    """An assembly open from ``notice_at`` + 16 days for 2 days: item 1 a motion, item 2 the
    election of two among 甲, 乙, 丙."""
    now = notice_at
    draft = assemblies.create_draft(
        session, community_id=community_id, title="2027年第一次业主大会会议", description="",
        settings=settings, item=ItemSpec("选聘物业服务企业", 4), actor="test")
    assemblies.add_item(session, draft.id, spec=ItemSpec(
        "选举业主委员会委员", 3, kind="election", seats=2, candidates=("甲", "乙", "丙")))
    notices.set_window(session, draft.id, opens_at=now + 16 * DAY, closes_at=now + 18 * DAY,
                       now=now)
    signer = load_or_create_log_key(ov_settings.log_key_file, log_key_name(ov_settings.base_url))
    proceedings.publish_notice(session, draft.id, signer=signer, settings=ov_settings, now=now,
                               actor="test")
    opens = now + 16 * DAY
    proceedings.open_voting(session, draft.id, signer=signer, now=opens, actor="test")
    session.commit()
    return draft.id


def counted_election(session, community_id: int, ov_settings,
                     settings: AssemblySettings) -> int:
    """A tallied assembly: item 1 a motion, item 2 the election (see the module docstring)."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0) - 30 * DAY
    aid = open_election(session, community_id, ov_settings, settings, notice_at=now)
    signer = load_or_create_log_key(ov_settings.log_key_file, log_key_name(ov_settings.base_url))
    opens = now + 16 * DAY
    _adef, roster = published(session, aid)
    origin = logstore.get_head(session, aid).origin
    session.commit()
    for n, head_id in enumerate(sorted(roster.heads)):
        at = opens + dt.timedelta(hours=n + 1)
        k = ec.generate_private_key(ec.SECP256R1())
        der = spki(k.public_key())
        begin_write(session)
        enrolment.enroll_key(session, aid, signer, head_id, der, voter=f"v-{n}", now=at,
                             roster=roster)
        payload = ballot_payload(origin, head_id, key_id(der), 1, {"1": "agree", "2": ["甲"]},
                                 new_nonce())
        writer.cast_ballot(session, aid, payload, sign_p256(k, signing_message(payload)),
                           now=at, roster=roster)
        session.commit()
    proceedings.close_voting(session, aid, signer=signer, now=now + 18 * DAY, actor="test")
    proceedings.tally(session, aid, signer=signer, now=now + 19 * DAY, actor="test")
    return aid
