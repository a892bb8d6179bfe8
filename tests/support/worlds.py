"""The two-community world of the web tests: assemblies, records and staff of every role.

``build_world(session, settings)`` goes through the real services (registry
import, staff accounts, notice, ballots signed by device keys, close, tally,
announcement), like the demo: communities A and B (districts ``DISTRICT_A`` and
``DISTRICT_B``), each with an announced assembly, a draft and a document; an owner
of A; a committee member and a supervisor for each side, an auditor and an
administrator, all with ``PASSWORD`` and a TOTP secret.  It is the ``world``
fixture of ``tests/web/conftest.py``; ``tests/support/routes.py`` fills route
parameters from it.  ``sign_in_as(client, app, principal)`` puts a live
server-side session into the test client's cookie (the real staff sign-in with
password and TOTP is tested in ``tests/web/test_web_auth.py``).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import random
import secrets
from dataclasses import dataclass, field
from unittest import mock

from sqlalchemy import select

from identity.credentials import hash_password
from identity.pii import PiiCipher
from identity.store.importer import import_extract
from identity.store.models import Community, OwnerAccount, Ownership
from identity.store.staff import create_staff
from identity.synthetic import resident_id
from ledger.ballots import ballot_payload, key_id, new_nonce, sign_p256, signing_message, spki
from ledger.keys import load_or_create_log_key, log_key_name
from ledger.receipts import tracker_code
from ledger.store import enrolment, logstore, writer
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
from ledger.store.publish import published
from tests.support.totp import fresh_code
from voting.store.models import Document

DISTRICT_A = "菁城街道"
DISTRICT_B = "桂林街道"
PASSWORD = "correct horse battery"
ROLES = ("anonymous", "owner", "committee_a", "committee_b", "supervisor_a", "supervisor_b",
         "auditor", "admin")


def extract(seed: int, units: int = 6) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows = []
    for n in range(1, units + 1):
        rows.append({
            "building": "1幢", "unit": f"{100 + n}",
            "certificate_no": f"闽(2021)测试第{seed}{n:04d}号",
            "owner_name": f"测试{n}", "id_type": "居民身份证", "id_number": resident_id(rng),
            "co_ownership": "单独所有", "registered_area": f"{80 + n}.{n:02d}",
            "surveyed_area": "", "contract_area": "", "status": "已登记", "usage": "住宅"})
    return rows


@dataclass
class Side:
    community_id: int
    assembly_id: int  # announced, with ballots
    tracker: str  # of one of its ballots
    checkpoint_size: int
    draft_id: int
    document_id: int = 0  # a document attached to the assembly


@dataclass
class World:
    a: Side
    b: Side
    owner_account_id: int  # an owner of community A
    staff: dict[str, int] = field(default_factory=dict)  # role key -> staff id
    totp: dict[str, str] = field(default_factory=dict)  # role key -> TOTP secret

    def principal(self, role: str) -> str | None:
        if role == "anonymous":
            return None
        if role == "owner":
            return f"a:{self.owner_account_id}"
        return f"s:{self.staff[role]}"


def _assembly(session, settings, signer, community_id: int, title: str, now: dt.datetime,
              rng: random.Random) -> tuple[int, str, int]:
    a = create_assembly(
        session, community_id, title,
        [ItemSpec("选聘物业服务企业", 4, "三年服务期。"),
         ItemSpec("选举业主委员会委员", 3, "", kind="election", seats=1, candidates=("甲", "乙"))],
        opens_at=now - dt.timedelta(days=40), closes_at=now - dt.timedelta(days=26))
    session.commit()
    logstore.begin_write(session)
    publish_notice(session, a, signer, ownervote_settings=settings,
                   now=now - dt.timedelta(days=56))
    open_voting(session, a, signer, now=a.opens_at)
    _adef, roster = published(session, a.id)
    origin = logstore.get_head(session, a.id).origin
    for n, head_id in enumerate(sorted(roster.heads)[:4]):
        at = a.opens_at + dt.timedelta(hours=n + 1)
        from cryptography.hazmat.primitives.asymmetric import ec

        k = ec.generate_private_key(ec.SECP256R1())
        der = spki(k.public_key())
        enrolment.enroll_key(session, a.id, signer, head_id, der, voter=f"v-{n}", now=at,
                          roster=roster)
        payload = ballot_payload(origin, head_id, key_id(der), 1,
                                 {"1": rng.choice(("agree", "oppose")), "2": ["甲"]}, new_nonce())
        writer.cast_ballot(session, a.id, payload, sign_p256(k, signing_message(payload)), now=at,
                           roster=roster)
    close_voting(session, a, signer, now=a.closes_at)
    tally_assembly(session, a, signer, now=a.closes_at + dt.timedelta(hours=2))
    announce(session, a, now=a.closes_at + dt.timedelta(days=1))
    session.commit()
    ballot = session.scalars(select(LedgerEntry).where(
        LedgerEntry.assembly_id == a.id, LedgerEntry.kind == "ballot")
        .order_by(LedgerEntry.index)).first()
    return a.id, tracker_code(bytes(ballot.entry_hash)), logstore.get_head(session, a.id).size


def build_world(session, settings) -> World:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    signer = load_or_create_log_key(settings.log_key_file, log_key_name(settings.base_url))
    cipher = PiiCipher.from_settings(settings)
    rng = random.Random(5)
    sides = []
    for name, district, seed in (("甲小区", DISTRICT_A, 11), ("乙小区", DISTRICT_B, 22)):
        import_extract(session, name, extract(seed), settings=settings)
        c = session.scalars(select(Community).where(Community.name == name)).one()
        c.district, c.city = district, "漳平市"
        session.commit()
        aid, tracker, size = _assembly(session, settings, signer, c.id, f"{name}2026年业主大会",
                                       now, rng)
        draft = create_assembly(session, c.id, f"{name}草稿", [ItemSpec("修订管理规约", 2)])
        content = f"{name}物业服务合同".encode()
        doc = Document(assembly_id=aid, filename="合同.txt", mime="text/plain",
                       sha256=hashlib.sha256(content).hexdigest(), content=content)
        session.add(doc)
        session.commit()
        sides.append((c, Side(c.id, aid, tracker, size, draft.id, doc.id)))
    (ca, a), (cb, b) = sides
    owner_id = session.scalars(select(Ownership.owner_id).where(
        Ownership.roster_version_id.in_(_versions(session, ca.id))).limit(1)).one()
    account = OwnerAccount(key=secrets.token_hex(16), owner_id=owner_id, holder_kind="self",
                           holder_id_hash=secrets.token_hex(32), phone_enc=b"\0",
                           phone_hash=secrets.token_hex(32), phone_masked="138****0000")
    session.add(account)
    world = World(a, b, 0)
    accounts = {"committee_a": ("committee", ca, None), "committee_b": ("committee", cb, None),
                "supervisor_a": ("supervisor", None, DISTRICT_A),
                "supervisor_b": ("supervisor", None, DISTRICT_B),
                "auditor": ("auditor", None, None), "admin": ("admin", None, None)}
    # One real scrypt hash of PASSWORD for all accounts (the KDF is the slow part of a test).
    with mock.patch("identity.store.staff.hash_password", _password_hash):
        for key, (role, community, district) in accounts.items():
            user, secret = create_staff(session, cipher, username=f"t-{key}", password=PASSWORD,
                                        role=role, community=community, district=district)
            world.staff[key], world.totp[key] = user.id, secret
    session.commit()
    world.owner_account_id = account.id
    return world


@functools.cache
def _password_hash(password: str) -> str:
    return hash_password(password)


def _versions(session, community_id: int) -> list[int]:
    from identity.store.models import RosterVersion

    return list(session.scalars(select(RosterVersion.id)
                                .where(RosterVersion.community_id == community_id)))


def sign_in_as(client, app, principal: str | None) -> None:
    """Give ``client`` a live session of ``principal`` (None: signed out)."""
    from flask_login.utils import _create_identifier

    from identity.store import sessions

    if principal is None:
        client.delete_cookie("session")
        return
    with app.app_context():
        from web.database import db

        sid = sessions.start(db(), principal, dt.timedelta(hours=1))
        db().commit()
    with app.test_request_context(environ_base=client.environ_base):
        ident = _create_identifier()
    with client.session_transaction() as sess:
        sess.clear()
        sess["_user_id"] = f"{principal}:{sid}"
        sess["_fresh"] = True
        sess["_id"] = ident


def totp_now(secret: str) -> str:
    return fresh_code(secret)
