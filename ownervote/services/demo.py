"""The demo: a community in 漳平市 with a real-looking registry, staff and four assemblies.

* the registry extract comes from :func:`identity.synthetic.demo_extract`
  (fake people, valid check digits) and goes through the real import;
* "open" assembly: noticed 17 days ago, voting open until two weeks from now,
  with an ordinary matter (选聘物业服务企业) and a special one (筹集维修资金);
  about 40 % of owners have voted already, and some who have not verified a phone, so
  the committee's reminders are sent (to the demo's SMS outbox);
* "closed" assembly: noticed, voted, closed, counted and announced, with an
  election of the owners' committee; every ballot is signed by a device key;
* two secret-ballot assemblies (:mod:`ownervote.services.demo_secret`): one open for
  voting (the demo owner has not voted: try an encrypted ballot and its challenge), and a
  by-election of the committee — trustees' key ceremony, encrypted ballots, decryption by
  two of three trustees, counted and announced; its bundle is public.

Every step uses the same storage functions the web pages use, so the demo's ledger
verifies with ``ownervote verify`` like any other.  :func:`load` owns its
transactions: one unit of work (:func:`ownervote.services.unit_of_work.writing`) for
the registry and staff, one for the agendas, one for each assembly's proceedings and
one for the open assembly's ballots; the secret assemblies' trustees hand in each
document in its own.  The proceedings' steps are those of
:mod:`ledger.store.proceedings`, called inside these units until a proceedings
service owns them.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity.credentials import totp_purpose
from identity.keyed import KeyedHasher
from identity.masking import mask_phone
from identity.pii import PiiCipher, account_phone_purpose
from identity.store.importer import import_extract
from identity.store.models import (
    Community,
    Owner,
    OwnerAccount,
    StaffUser,
)
from identity.store.staff import create_staff
from identity.synthetic import DEMO_COMMUNITY, demo_extract
from ledger.note import Signer
from ledger.store.proceedings import (
    ItemSpec,
    announce,
    close_voting,
    create_assembly,
    open_voting,
    publish_notice,
    tally_assembly,
)
from ledger.store.publish import published
from ledger.witnesspolicy import WitnessPolicy
from ownervote.config import Settings
from ownervote.services.demo_ballots import cast_random_ballots, unit_owners
from ownervote.services.demo_secret import load_secret_assembly, load_voting_secret_assembly
from ownervote.services.keys import log_signer
from ownervote.services.trust_anchors import trust_anchors
from ownervote.services.unit_of_work import end_read, writing
from voting.store.models import Assembly

DISTRICT = "菁城街道"
CITY = "漳平市"
SEED = 2024


@dataclass(frozen=True)
class DemoAccount:
    role: str
    username: str
    password: str
    totp_secret: str


@dataclass(frozen=True)
class DemoOwner:
    """A demo owner's sign-in details (fake person from the synthetic registry)."""

    name: str
    id_number: str
    certificate_no: str
    building: str
    unit: str


STAFF = (
    ("committee", "jiupeng-committee", "demo-committee-2024"),
    ("supervisor", "jingcheng-office", "demo-supervisor-2024"),
    ("auditor", "city-auditor", "demo-auditor-2024"),
    ("admin", "platform-admin", "demo-admin-2024"),
)


def has_demo(session: Session) -> bool:
    return session.scalar(select(Community.id).where(Community.name == DEMO_COMMUNITY)) is not None


def witness_policies(session: Session) -> dict[str, WitnessPolicy | None]:
    """Each demo assembly's witness policy, fixed with its notice (None: it has none), by
    title."""
    community = select(Community.id).where(Community.name == DEMO_COMMUNITY)
    policies = {}
    for assembly in session.scalars(select(Assembly).where(Assembly.community_id.in_(community))
                                    .order_by(Assembly.id)):
        anchors = trust_anchors(session, assembly.id)
        policies[assembly.title] = anchors.policy if anchors is not None else None
    return policies


def demo_owner(seed: int = SEED) -> DemoOwner:
    """An owner of one flat, the first registered sole owner in the extract."""
    rows = demo_extract(seed)
    per_owner: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        per_owner.setdefault(row["id_number"], []).append(row)
    for row in rows:
        if (row["status"] == "已登记" and row["co_ownership"] == "单独所有"
                and row["usage"] == "住宅" and row["id_type"] == "居民身份证"
                and len(per_owner[row["id_number"]]) == 1):
            return DemoOwner(row["owner_name"], row["id_number"], row["certificate_no"],
                             row["building"], row["unit"])
    raise RuntimeError("the demo extract has no sole registered owner of a flat")


#: Non-voters of the open assembly who verified a phone (so reminders reach someone).
REACHABLE_NON_VOTERS = 12


def _verify_some_phones(session: Session, assembly: Assembly, cipher: PiiCipher,
                        hasher: KeyedHasher, *, skip_heads: frozenset[str], rng: random.Random,
                        now: dt.datetime) -> int:
    """Give owners of some heads in ``assembly`` that have not voted a verified phone (an
    account as the owner page's verification makes), as if they had verified and not voted
    yet; how many accounts were made."""
    _adef, roster = published(session, assembly.id)
    owners = unit_owners(session, assembly)
    heads = sorted(h for h in roster.heads if h not in skip_heads)
    made = 0
    for head_id in rng.sample(heads, min(REACHABLE_NON_VOTERS, len(heads))):
        owner_ids = sorted({owner_id for u in roster.heads[head_id].unit_ids
                            for owner_id, _hash in owners.get(u, ())})
        if not owner_ids:
            continue  # a developer's head: nobody to text
        owner = session.get_one(Owner, owner_ids[0])
        phone = f"139{rng.randrange(10**8):08d}"  # fake, like every demo person
        account = OwnerAccount(key=f"demo{rng.getrandbits(112):028x}", owner_id=owner.id,
                               holder_kind="self", holder_id_hash=owner.id_hash,
                               phone_hash=hasher.phone_hash(phone),
                               phone_masked=mask_phone(phone), verified_at=now)
        account.phone_enc = cipher.encrypt_text(phone, purpose=account_phone_purpose(account.key))
        session.add(account)
        made += 1
    return made


def demo_accounts(session: Session, settings: Settings) -> list[DemoAccount]:
    """The demo staff accounts still active, with their TOTP secrets (read back, so a restarted
    demo prints them again)."""
    cipher = PiiCipher.from_settings(settings)
    names = [username for _role, username, _password in STAFF]
    users = {u.username: u for u in session.scalars(
        select(StaffUser).where(StaffUser.username.in_(names)))}
    accounts = []
    for role, username, password in STAFF:
        user = users.get(username)
        if user is None or user.totp_secret_enc is None or user.deactivated_at is not None:
            continue
        secret = cipher.decrypt_text(user.totp_secret_enc, purpose=totp_purpose(username))
        accounts.append(DemoAccount(role, username, password, secret))
    end_read(session)
    return accounts


def load(session: Session, settings: Settings, signer: Signer | None = None,
         now: dt.datetime | None = None) -> list[DemoAccount] | None:
    """Load the demo unless it is there; the new staff accounts (with their TOTP secrets), or
    None when the demo was loaded before."""
    if has_demo(session):
        end_read(session)
        return None
    end_read(session)
    return load_demo(session, settings, signer or log_signer(settings), now)


def load_demo(session: Session, settings: Settings, signer: Signer,
              now: dt.datetime | None = None) -> list[DemoAccount]:
    """Load everything (the caller checked the database has no demo yet)."""
    now = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    rng = random.Random(SEED)
    cipher = PiiCipher.from_settings(settings)
    hasher = KeyedHasher.from_settings(settings)
    accounts: list[DemoAccount] = []
    with writing(session):
        import_extract(session, DEMO_COMMUNITY, demo_extract(SEED), settings=settings,
                       actor="demo")
        community = session.scalars(select(Community).where(Community.name == DEMO_COMMUNITY)).one()
        community.city, community.district = CITY, DISTRICT
        community.address = "福建省漳平市菁城街道九鹏路88号"
        for role, username, password in STAFF:
            _user, secret = create_staff(session, cipher, username=username, password=password,
                                         role=role, community=community, district=DISTRICT,
                                         actor="demo")
            accounts.append(DemoAccount(role, username, password, secret))

    # ledger.store.proceedings steps below (create_assembly, publish_notice, open_voting,
    # close_voting, tally_assembly, announce), each inside this service's unit of work.
    # the two assemblies' voting windows (Assembly.opens_at and closes_at may be None)
    closed_opens, closed_closes = now - dt.timedelta(days=40), now - dt.timedelta(days=26)
    open_opens = now - dt.timedelta(days=1)
    with writing(session):
        closed = create_assembly(
            session, community.id, "2026年第一次业主大会会议",
            [ItemSpec("选举第二届业主委员会委员", 3, "从五名候选人中选出三名委员。",
                      kind="election", seats=3,
                      candidates=("陈建国", "林秀英", "黄志明", "张丽华", "吴海峰")),
             ItemSpec("修订《管理规约》", 2, "修订后的管理规约全文见附件。")],
            description="本次会议采用书面征求意见（电子投票）形式召开。",
            opens_at=closed_opens, closes_at=closed_closes, actor="demo")
        open_ = create_assembly(
            session, community.id, "2026年第二次业主大会会议",
            [ItemSpec("选聘物业服务企业", 4,
                      "拟选聘漳平市鹭安物业服务有限公司，服务期三年，住宅物业费每月每平方米1.20元。"),
             ItemSpec("筹集住宅专项维修资金", 6,
                      "按每平方米30元续筹维修资金，用于电梯和屋面防水维修。")],
            description="请各位业主在截止时间前投票。逾期未投票的，不计入参与表决。",
            opens_at=open_opens, closes_at=now + dt.timedelta(days=14), actor="demo")
        closed_id, open_id = closed.id, open_.id

    with writing(session):
        closed = session.get_one(Assembly, closed_id)
        publish_notice(session, closed, signer, ownervote_settings=settings,
                       now=now - dt.timedelta(days=56), actor="demo")
        open_voting(session, closed, signer, now=closed_opens, actor="demo")
        cast_random_ballots(session, closed, signer, hasher, share=0.78, start=closed_opens,
                             end=closed_closes - dt.timedelta(hours=1), rng=rng)
        close_voting(session, closed, signer, now=closed_closes, actor="demo")
        tally_assembly(session, closed, signer, now=closed_closes + dt.timedelta(hours=2),
                       actor="demo")
        announce(session, closed, now=closed_closes + dt.timedelta(days=1), actor="demo")

    with writing(session):
        open_ = session.get_one(Assembly, open_id)
        publish_notice(session, open_, signer, ownervote_settings=settings,
                       now=now - dt.timedelta(days=17), actor="demo")
        open_voting(session, open_, signer, now=open_opens, actor="demo")

    # Leave the demo owner's own head unvoted so they can try it.
    with writing(session):
        open_ = session.get_one(Assembly, open_id)
        demo_heads = _demo_owner_heads(session, open_, settings)
        voted = cast_random_ballots(session, open_, signer, hasher, share=0.4,
                                     start=open_opens, end=now - dt.timedelta(minutes=5),
                                     rng=rng, skip_heads=demo_heads)
        _verify_some_phones(session, open_, cipher, hasher, skip_heads=voted | demo_heads,
                            rng=rng, now=open_opens)
    load_voting_secret_assembly(session, settings, signer, hasher, community.id, now=now,
                                rng=rng, skip_heads=demo_heads)
    load_secret_assembly(session, settings, signer, hasher, community.id, now=now, rng=rng)
    return accounts


def _demo_owner_heads(session: Session, assembly: Assembly, settings: Settings) -> frozenset[str]:
    owner = demo_owner()
    _adef, roster = published(session, assembly.id)
    unit = f"{owner.building}-{owner.unit}"
    head = roster.head_of_unit.get(unit)
    return frozenset({head}) if head else frozenset()

