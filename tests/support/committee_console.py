"""Driving the committee console as a member would, and the records its tests start from.

``build_console_world(session, settings)``: two small communities imported through
the real registry import (九鹏花园 with committee members a1-a3, 溪南小区 with b1)
and an administrator, each with a password and TOTP — the ``world`` fixture of
``tests/web/committee/conftest.py``.  A test signs in through ``/staff/sign-in``
like a person would (``sign_in``), sends the page's CSRF token (``csrf``), and
signs with a WebCrypto-like official key (``BrowserKey``).  The console's clock is
moved with ``OWNERVOTE_CLOCK_OFFSET`` (the documented test/demo setting,
``set_clock``) instead of rewriting stored times.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from identity.pii import PiiCipher
from identity.store.importer import import_extract
from identity.store.models import Community
from identity.store.staff import create_staff
from identity.synthetic import person_name, resident_id
from ledger import canonical
from ledger.ballots import sign_p256, spki
from tests.support.totp import fresh_code

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%test document\n"
CHINA = dt.timezone(dt.timedelta(hours=8))


def extract(seed: int, buildings=("1幢", "2幢"), units=("101", "102", "201", "202")) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    n = 0
    for b in buildings:
        for u in units:
            n += 1
            rows.append({
                "building": b, "unit": u,
                "certificate_no": f"闽(2024)漳平市不动产权第{seed:03d}{n:04d}号",
                "owner_name": person_name(rng), "id_type": "居民身份证",
                "id_number": resident_id(rng), "co_ownership": "单独所有",
                "registered_area": f"{80 + n}.50", "surveyed_area": "", "contract_area": "",
                "status": "已登记", "usage": "住宅"})
    return rows


@dataclass
class Member:
    username: str
    password: str
    secret: str
    staff_id: int

    def code(self) -> str:
        return fresh_code(self.secret)


@dataclass
class World:
    a: Community
    b: Community
    members: dict[str, Member]
    rows_a: list[dict]


def build_console_world(session, ov_settings) -> World:
    rows_a = extract(1)
    import_extract(session, "九鹏花园", rows_a, settings=ov_settings)
    import_extract(session, "溪南小区", extract(2, buildings=("A栋",)), settings=ov_settings)
    session.commit()
    cipher = PiiCipher.from_settings(ov_settings)
    a = session.query(Community).filter_by(name="九鹏花园").one()
    b = session.query(Community).filter_by(name="溪南小区").one()
    members = {}
    for name, community, role in (("a1", a, "committee"), ("a2", a, "committee"),
                                  ("a3", a, "committee"), ("b1", b, "committee"),
                                  ("admin", None, "admin")):
        user, secret = create_staff(session, cipher, username=name, password=f"{name}-password-1",
                                    role=role, community=community)
        members[name] = Member(name, f"{name}-password-1", secret, user.id)
    session.commit()
    return World(a, b, members, rows_a)


def csrf(client, path: str = "/staff/sign-in") -> str:
    """Take the CSRF token from a page, as the browser's forms and scripts do, and send it
    with every later request (header ``X-CSRFToken``)."""
    html = client.get(path).get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
    client.environ_base["HTTP_X_CSRFTOKEN"] = token
    return token


def sign_out(client) -> None:
    csrf(client)
    client.post("/sign-out")


def sign_in(client, member: Member) -> None:
    sign_out(client)
    csrf(client)
    r = client.post("/staff/sign-in", data={"username": member.username,
                                            "password": member.password, "code": member.code()})
    assert r.status_code == 302, r.get_data(as_text=True)
    csrf(client)  # the session is new after signing in


def set_clock(app, **delta) -> None:
    app.config["OWNERVOTE_CLOCK_OFFSET"] = dt.timedelta(**delta)


def local_input(value: dt.datetime) -> str:
    return value.astimezone(CHINA).strftime("%Y-%m-%dT%H:%M")


def assembly_id(response) -> int:
    m = re.search(r"/committee/a/(\d+)", response.headers["Location"])
    assert m, response.headers.get("Location")
    return int(m.group(1))


NEW_ASSEMBLY = {
    "title": "2027年第一次业主大会会议", "description": "书面征求意见。",
    "item_title": "选聘物业服务企业", "item_matter": "4", "item_kind": "motion",
    "item_description": "服务期三年。", "scope": "whole", "revote": "until_close",
    "precedence": "first_cast", "proxy_cap": "1", "notice_days": "15", "objection_days": "7",
}


class BrowserKey:
    """What the member's browser does with WebCrypto: a P-256 key that signs P1363."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.spki = spki(self.key.public_key())

    def enroll(self, client, aid: int):
        return client.post(f"/committee/a/{aid}/official-key",
                           json={"spki": canonical.b64url(self.spki)})

    def sign(self, prepared: dict) -> dict:
        message = prepared["prefix"].encode() + canonical.encode(prepared["payload"])
        return {"payload": prepared["payload"],
                "sig": canonical.b64url(sign_p256(self.key, message))}


def console_records(app, session, settings, *, community_id: int, assembly_id: int,
                    submitter_id: int, id_number: str) -> dict:
    """Records of one community for the committee console's routes (for route walks such as
    ``test_web_access_matrix``): a document of ``assembly_id``, a stored scan, and a pending
    review with evidence submitted by committee member ``submitter_id``.  Returns the route
    parameters: ``document_id``, ``kind``, ``sha256``, ``reference``, ``evidence_id``."""
    import hashlib

    from identity.keyed import KeyedHasher
    from identity.store import review
    from identity.store.models import StaffUser, Unit
    from voting.store.models import Document

    cipher = PiiCipher.from_settings(settings)
    doc = Document(assembly_id=assembly_id, filename="doc.pdf", mime="application/pdf",
                   sha256=hashlib.sha256(PDF).hexdigest(), content=PDF)
    session.add(doc)
    unit = session.query(Unit).filter_by(community_id=community_id).first()
    r = review.submit(session, staff=session.get(StaffUser, submitter_id),
                      community_id=community_id, kind="heir",
                      person=review.Person("测试继承人", "resident_id", id_number),
                      hasher=KeyedHasher.from_settings(settings), cipher=cipher,
                      unit_id=unit.id)
    evidence = review.attach_evidence(session, r, staff=session.get(StaffUser, submitter_id),
                                      filename="e.png", mime="image/png", content=PNG,
                                      cipher=cipher)
    session.commit()
    with app.test_request_context():
        from web.committee import vault

        sha, _mime = vault.put(assembly_id, "scan", PNG)
    return {"document_id": doc.id, "kind": "scan", "sha256": sha, "reference": r.reference,
            "evidence_id": evidence.id}
