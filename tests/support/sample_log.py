"""The stored-log tests' sample: a small community and its assembly in the database, the
log's signing and witness keys, device keys, signed ballots and committee signatures.

``make_assembly(session)``: six units (four heads) and an assembly with a motion and an
election, voting between ``OPENS`` and ``CLOSES``; ``store_ballot``: sign a ballot and
cast it through the stored writer in a write transaction of its own.  The published
log itself is the ``log`` fixture of ``tests/db/conftest.py``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.orm import Session

from identity.store.models import (
    Building,
    Community,
    Owner,
    Ownership,
    RosterVersion,
    Unit,
    UnitRecord,
)
from ledger import keys
from ledger.ballots import ballot_payload, key_id, new_nonce, sign_p256, signing_message, spki
from ledger.note import ALG_COSIGNATURE_V1
from voting.store.models import Assembly, Item

OPENS = dt.datetime(2026, 3, 1, 0, 0, tzinfo=dt.UTC)
CLOSES = dt.datetime(2026, 3, 16, 0, 0, tzinfo=dt.UTC)
DURING = OPENS + dt.timedelta(days=1)

LOG_SIGNER = keys.generate("ownervote.example/log")
WITNESS = keys.generate("street-office.example/w1", ALG_COSIGNATURE_V1)

# unit number -> (building, owners, status, registered area)
UNITS = {
    "101": ("1幢", ["张"], "registered", "89.37"),
    "102": ("1幢", ["李", "王"], "registered", "120.00"),
    "201": ("2幢", ["赵"], "registered", "75.50"),
    "202": ("2幢", ["赵"], "registered", "60.25"),  # same owner as 201: one head
    "203": ("2幢", [], "unsold", "99.99"),
    "204": ("2幢", [], "sold_undelivered", "88.88"),  # developer: one head with 203
}


def make_assembly(session: Session, settings: dict | None = None) -> int:
    """A community with 6 units (4 heads) and an assembly with a motion and an election."""
    c = Community(name="示例小区", city="漳平市")
    session.add(c)
    session.flush()
    buildings = {}
    for name in ("1幢", "2幢"):
        buildings[name] = Building(community_id=c.id, name=name)
        session.add(buildings[name])
    rv = RosterVersion(community_id=c.id, version=1, digest="ab" * 32)
    session.add(rv)
    session.flush()
    owners: dict[str, Owner] = {}
    for number, (bname, names, status, area) in UNITS.items():
        u = Unit(community_id=c.id, building_id=buildings[bname].id, number=number)
        session.add(u)
        session.flush()
        session.add(
            UnitRecord(
                roster_version_id=rv.id,
                unit_id=u.id,
                status=status,
                usage="residential",
                registered_area=Decimal(area),
            )
        )
        for n in names:
            if n not in owners:
                owners[n] = Owner(
                    id_hash=f"{len(owners):064d}",
                    id_type="resident",
                    id_masked="3508**********123X",
                    name_enc=b"x",
                )
                session.add(owners[n])
                session.flush()
            session.add(Ownership(roster_version_id=rv.id, unit_id=u.id, owner_id=owners[n].id))
    a = Assembly(
        community_id=c.id,
        title="2026年第一次业主大会",
        status="notice",
        settings=settings or {},
        notice_at=OPENS - dt.timedelta(days=15),
        opens_at=OPENS,
        closes_at=CLOSES,
        roster_version_id=rv.id,
    )
    a.items = [
        Item(position=1, title="续聘物业服务企业", matter=4, kind="motion"),
        Item(
            position=2,
            title="选举业主委员会",
            matter=3,
            kind="election",
            seats=1,
            candidates=["甲", "乙"],
        ),
    ]
    session.add(a)
    session.flush()
    return a.id


def device() -> tuple[ec.EllipticCurvePrivateKey, bytes, str]:
    k = ec.generate_private_key(ec.SECP256R1())
    der = spki(k.public_key())
    return k, der, key_id(der)


def signed_ballot(
    origin: str, head: str, k: ec.EllipticCurvePrivateKey, seq: int, choices: dict
) -> tuple[dict, bytes]:
    payload = ballot_payload(origin, head, key_id(spki(k.public_key())), seq, choices, new_nonce())
    return payload, sign_p256(k, signing_message(payload))


def committee_sign(k: ec.EllipticCurvePrivateKey, kind: str, payload: dict) -> bytes:
    """A committee entry's signature (paper ballot, proxy, transfer ...) by key ``k``."""
    from ledger.entries import signed_message

    return sign_p256(k, signed_message(kind, payload))


def store_ballot(session: Session, aid: int, origin: str, head: str,
                 k: ec.EllipticCurvePrivateKey, seq: int, choices: dict, now=DURING):
    """Sign a ballot and cast it through ``ledger.store.writer`` (committed, or rolled back
    and the refusal raised)."""
    from ledger.store import writer
    from ledger.store.logstore import begin_write

    session.commit()  # end the reading transaction
    begin_write(session)
    payload, sig = signed_ballot(origin, head, k, seq, choices)
    try:
        out = writer.cast_ballot(session, aid, payload, sig, now=now)
    except Exception:
        session.rollback()
        raise
    session.commit()
    return out
