"""The demo's secret-ballot assemblies (docs/secret-ballots.md): a by-election of the owners'
committee, counted from encrypted ballots and announced (:func:`load_secret_assembly`), and
one still voting, for trying an encrypted ballot and its challenge on the phone
(:func:`load_voting_secret_assembly`).

Three trustees — two committee members and the street office's supervisor, threshold two —
run their key ceremony before the notice; about 80 % of heads cast encrypted ballots from
their phones; after the close two of the three trustees publish their decryption shares
(the third "lost a device": the threshold covers it, docs/trustee-guide.md), and the
tally comes from the decrypted sums.  Its audit bundle is public once voting has closed.

The ceremony is **simulated in this process** (:mod:`ledger.secret.simulated`) and the
trustees' secrets are dropped when each loader returns: nobody can decrypt anything more of
these demo assemblies — so the one still voting will never be counted (its close is two
weeks away; a demo does not live that long).  A real assembly's trustees each run
``ownervote trustee …`` on their own computers, so no single place ever holds two shares;
the documents recorded here are the same signed documents, through the same checks.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy.orm import Session

from identity.keyed import KeyedHasher
from ledger.note import Signer
from ledger.secret import simulated
from ledger.secret import trustee_docs as td
from ledger.store.proceedings import (
    ItemSpec,
    announce,
    close_voting,
    create_assembly,
    open_voting,
    publish_notice,
    tally_assembly,
)
from ledger.store.publish import assembly_origin
from ledger.store.secrettally import encrypted_tally
from ownervote.config import Settings
from ownervote.services import trustee_documents
from ownervote.services.demo_ballots import cast_random_ballots
from ownervote.services.unit_of_work import end_read, writing
from voting.settings import AssemblySettings, BallotSecrecy
from voting.store.models import Assembly

TITLE = "2026年第一次临时业主大会会议"
#: the secret assembly still voting, for trying an encrypted ballot on the phone
VOTING_TITLE = "2026年第三次业主大会会议"
CANDIDATES = ("郑明", "何静", "邓强", "许文华")
TRUSTEES = ("陈建国（业主委员会）", "林秀英（业主委员会）", "王立新（菁城街道办事处）")
#: the trustees who decrypt (any two of the three can)
DECRYPTING = (1, 3)
VOTED_SHARE = 0.8


def _keyed_and_open(session: Session, settings: Settings, signer: Signer, community_id: int,
                    title: str, items: list[ItemSpec], description: str, *,
                    opens: dt.datetime, closes: dt.datetime
                    ) -> tuple[int, simulated.Ceremony]:
    """Create a secret assembly, record its trustees' ceremony (handed in a document at a
    time, as the committee does), publish the notice 16 days before ``opens`` and open
    voting; its id and the (simulated) ceremony."""
    notice = opens - dt.timedelta(days=16)
    with writing(session):
        a = create_assembly(
            session, community_id, title, items,
            settings=AssemblySettings(ballot_secrecy=BallotSecrecy.SECRET,
                                      trustees=len(TRUSTEES)),
            description=description, opens_at=opens, closes_at=closes, actor="demo")
        aid = a.id
        origin = assembly_origin(session, a, settings.base_url)
    ceremony = simulated.full_ceremony(origin, len(TRUSTEES), names=TRUSTEES)
    for data in ceremony.files():
        trustee_documents.submit(session, aid, data, base_url=settings.base_url,
                                 now=notice - dt.timedelta(hours=2), actor="demo")
    with writing(session):
        a = session.get_one(Assembly, aid)
        publish_notice(session, a, signer, ownervote_settings=settings, now=notice, actor="demo")
        open_voting(session, a, signer, now=opens, actor="demo")
    return aid, ceremony


def load_secret_assembly(session: Session, settings: Settings, signer: Signer,
                         hasher: KeyedHasher, community_id: int, *, now: dt.datetime,
                         rng: random.Random) -> int:
    """Create, vote, decrypt, count and announce the demo's secret assembly; its id."""
    opens, closes = now - dt.timedelta(days=9), now - dt.timedelta(days=2)
    aid, ceremony = _keyed_and_open(
        session, settings, signer, community_id, TITLE,
        [ItemSpec("增补业主委员会委员", 3,
                  "第二届业主委员会两名委员辞职，从四名候选人中增补两名委员。本次会议"
                  "无记名投票：选票在手机上加密，只有至少两名监票人共同解密总数。",
                  kind="election", seats=2, candidates=CANDIDATES)],
        "本次会议采用书面征求意见（电子投票）形式召开，无记名投票。", opens=opens, closes=closes)
    with writing(session):
        a = session.get_one(Assembly, aid)
        cast_random_ballots(session, a, signer, hasher, share=VOTED_SHARE, start=opens,
                            end=closes - dt.timedelta(hours=1), rng=rng,
                            election_key=ceremony.key)
        close_voting(session, a, signer, now=closes, actor="demo")

    totals = encrypted_tally(session, aid).totals  # what each trustee recomputes and checks
    end_read(session)
    for trustee in DECRYPTING:
        trustee_documents.submit(session, aid, td.dumps(ceremony.decryption(trustee, totals)),
                                 base_url=settings.base_url,
                                 now=closes + dt.timedelta(hours=trustee), actor="demo")

    with writing(session):
        a = session.get_one(Assembly, aid)
        tally_assembly(session, a, signer, now=closes + dt.timedelta(hours=5), actor="demo")
        announce(session, a, now=closes + dt.timedelta(days=1), actor="demo")
    return aid


def load_voting_secret_assembly(session: Session, settings: Settings, signer: Signer,
                                hasher: KeyedHasher, community_id: int, *, now: dt.datetime,
                                rng: random.Random, skip_heads: frozenset[str]) -> int:
    """A secret assembly open for voting (a motion and an election), about a third of heads
    voted already, ``skip_heads`` (the demo owner's) not; its id."""
    opens, closes = now - dt.timedelta(days=2), now + dt.timedelta(days=12)
    aid, ceremony = _keyed_and_open(
        session, settings, signer, community_id, VOTING_TITLE,
        [ItemSpec("使用维修资金更换小区门禁系统", 5,
                  "拟使用专项维修资金约18万元，更换全部单元门禁和车行道闸，方案及报价见附件。"),
         ItemSpec("选举业主委员会候补委员", 3, "从三名候选人中选出两名候补委员。",
                  kind="election", seats=2, candidates=("周敏", "罗建华", "谢文"))],
        "本次会议无记名投票：您的选择在手机上加密后才发送，"
        "任何人（包括业主委员会）都看不到单张选票的内容。", opens=opens, closes=closes)
    with writing(session):
        a = session.get_one(Assembly, aid)
        cast_random_ballots(session, a, signer, hasher, share=0.3, start=opens,
                            end=now - dt.timedelta(minutes=5), rng=rng, skip_heads=skip_heads,
                            election_key=ceremony.key)
    return aid
