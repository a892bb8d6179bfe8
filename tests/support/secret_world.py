"""A counted secret assembly in a community of the web tests' world, through the real store
functions: the trustees' key ceremony recorded before the notice, encrypted phone ballots
(one head votes twice: the later ballot counts), an encrypted paper ballot with the
election's ``invalid`` option, the close, the trustees' decryptions, the tally from the
ciphertexts and the announcement.

``counted_secret_assembly(session, settings, community_id)`` returns a :class:`SecretSide`;
the web tests download its audit bundle (public: docs/roles.md) and read its announcement.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from ledger.ballots import key_id, spki
from ledger.keys import load_or_create_log_key, log_key_name
from ledger.receipts import tracker_code
from ledger.secret import trustee_docs as td
from ledger.secret.ledgerdocs import layout
from ledger.store import castpath, enrolment, logstore, writer
from ledger.store.models import LedgerEntry
from ledger.store.proceedings import (
    ItemSpec,
    announce,
    close_voting,
    create_assembly,
    open_voting,
    publish_notice,
    tally_assembly,
)
from ledger.store.publish import assembly_origin, published
from ledger.store.secrettally import encrypted_tally
from ownervote.services import paper_ballots, trustee_documents
from tests.support.sample_log import committee_sign
from tests.support.secret_log import encrypted_payload
from tests.support.trustees import full_ceremony
from voting.settings import AssemblySettings, BallotSecrecy
from voting.store.models import Assembly

TITLE = "无记名投票业主大会"
CANDIDATES = ("甲", "乙")
#: what each of four heads chose (phone ballots; head 0 votes twice, the second counts)
PHONE = ({"1": "agree", "2": [0]}, {"1": "oppose", "2": []}, {"1": "agree", "2": [1]})
REVOTE = {"1": "oppose", "2": [1]}
PAPER = {"1": "abstain", "2": "invalid"}  # the fourth head's sheet, entered by the committee


@dataclass(frozen=True)
class SecretSide:
    assembly_id: int
    origin: str
    log_vkey: str
    heads: tuple[str, ...]  # the heads that voted
    tracker: str  # of head 0's first ballot (replaced by its second)


def _write(session, fn):
    session.commit()
    logstore.begin_write(session)
    try:
        out = fn()
    except Exception:
        session.rollback()
        raise
    session.commit()
    return out


def counted_secret_assembly(session, settings, community_id: int, *,
                            now: dt.datetime | None = None) -> SecretSide:
    castpath.reset()  # the election key is cached per process (and ids repeat per backend)
    now = now or dt.datetime.now(dt.UTC).replace(microsecond=0)
    opens, closes = now - dt.timedelta(days=40), now - dt.timedelta(days=26)
    signer = load_or_create_log_key(settings.log_key_file, log_key_name(settings.base_url))
    a = create_assembly(
        session, community_id, TITLE,
        [ItemSpec("更换小区门禁系统", 2, "方案见附件。"),
         ItemSpec("增补业主委员会委员", 3, "", kind="election", seats=1,
                  candidates=CANDIDATES)],
        settings=AssemblySettings(ballot_secrecy=BallotSecrecy.SECRET, trustees=2),
        opens_at=opens, closes_at=closes)
    session.commit()
    aid = a.id
    origin = assembly_origin(session, a, settings.base_url)
    ceremony = full_ceremony(origin, n=2)
    for data in ceremony.files():
        trustee_documents.submit(session, aid, data, base_url=settings.base_url,
                                 now=now - dt.timedelta(days=57), actor="test")

    def notice_and_open() -> None:
        a = session.get(Assembly, aid)
        publish_notice(session, a, signer, ownervote_settings=settings,
                       now=now - dt.timedelta(days=56))
        open_voting(session, a, signer, now=opens)

    _write(session, notice_and_open)
    adef, roster = published(session, aid)
    heads = tuple(sorted(roster.heads)[:4])
    phone_layout = layout(adef.items.values())
    paper_layout = layout(adef.items.values(), paper=True)
    member = ec.generate_private_key(ec.SECP256R1())

    def vote() -> None:
        keys = {}
        for n, head in enumerate(heads[:3]):
            at = opens + dt.timedelta(hours=n + 1)
            k = ec.generate_private_key(ec.SECP256R1())
            enrolment.enroll_key(session, aid, signer, head, spki(k.public_key()),
                                 voter=f"v-{n}", now=at, roster=roster)
            writer.cast_ballot(session, aid, *encrypted_payload(
                k, ceremony.key, origin, head, 1, phone_layout, PHONE[n]), now=at,
                roster=roster)
            keys[head] = k
        writer.cast_ballot(session, aid, *encrypted_payload(
            keys[heads[0]], ceremony.key, origin, heads[0], 2, phone_layout, REVOTE),
            now=opens + dt.timedelta(hours=5), roster=roster)
        enrolment.enroll_official(session, aid, signer, spki(member.public_key()), "m-1",
                                  now=opens + dt.timedelta(hours=6))

    _write(session, vote)
    at = opens + dt.timedelta(hours=7)
    enc = encrypted_payload(member, ceremony.key, origin, heads[3], 1, paper_layout, PAPER)[0]
    payload = paper_ballots.prepare(
        session, aid, head_id=heads[3], choices=None, official=key_id(spki(member.public_key())),
        now=at, encrypted=enc["encrypted"], seq=1, nonce=enc["nonce"])
    payload = dict(payload, scan_sha256="ab" * 32)
    _write(session, lambda: writer.enter_paper_ballot(
        session, aid, payload, committee_sign(member, "paper_ballot", payload), now=at))
    _write(session, lambda: close_voting(session, session.get(Assembly, aid), signer,
                                         now=closes))
    totals = encrypted_tally(session, aid).totals
    session.commit()
    for trustee in (1, 2):
        trustee_documents.submit(session, aid, td.dumps(ceremony.decryption(trustee, totals)),
                                 base_url=settings.base_url,
                                 now=closes + dt.timedelta(hours=1), actor="test")

    def count_and_announce() -> None:
        a = session.get(Assembly, aid)
        tally_assembly(session, a, signer, now=closes + dt.timedelta(hours=2))
        announce(session, a, now=closes + dt.timedelta(days=1))

    _write(session, count_and_announce)
    first = session.scalars(select(LedgerEntry).where(
        LedgerEntry.assembly_id == aid, LedgerEntry.kind == "ballot")
        .order_by(LedgerEntry.index)).first()
    return SecretSide(aid, origin, logstore.get_head(session, aid).log_vkey, heads,
                      tracker_code(bytes(first.entry_hash)))
