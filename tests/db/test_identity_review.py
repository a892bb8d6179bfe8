"""The committee review queue: evidence, two approvals by other members, effects, carry-over."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from identity.errors import ReviewError
from identity.keyed import KeyedHasher
from identity.parsing import parse_bytes
from identity.pii import PiiCipher
from identity.store import review
from identity.store.freeze import roster_units
from identity.store.importer import import_extract
from identity.store.models import (
    Community,
    Owner,
    OwnerAccount,
    Representation,
    RosterVersion,
    Unit,
)
from identity.store.representatives import account_heads
from identity.store.rosters import latest_version
from identity.store.smsoutbox import OutboxSmsGateway, outbox
from ownervote.services.verification import Claim, VerificationService
from tests.support.data import REGISTRY_DATA
from tests.support.settings import settings_with
from tests.support.staff import make_staff

SETTINGS = settings_with()
SMALL = (REGISTRY_DATA / "small.csv").read_bytes()
HEIR = review.Person("林小芳", "居民身份证", "35088120100101001X")
GUARDIAN = review.Person("赵大", "居民身份证", "350881197001010010")


@pytest.fixture
def ctx(session):
    import_extract(session, "测试小区", SMALL, settings=SETTINGS)
    cid = session.scalars(select(Community.id)).one()
    a, b, c = (make_staff(session, cid, name) for name in ("甲", "乙", "丙"))
    outsider = make_staff(session, cid, "监督", role="supervisor")
    session.commit()
    return dict(cid=cid, a=a, b=b, c=c, outsider=outsider,
                hasher=KeyedHasher.from_settings(SETTINGS),
                cipher=PiiCipher.from_settings(SETTINGS))


def unit_id(session, building: str, number: str) -> int:
    return session.scalars(select(Unit.id).where(Unit.number == number,
                                                 Unit.building.has(name=building))).one()


def submit(session, ctx, kind="heir", person=HEIR, **kw):
    return review.submit(session, staff=ctx["a"], community_id=ctx["cid"], kind=kind,
                         person=person, hasher=ctx["hasher"], cipher=ctx["cipher"], **kw)


def service(session) -> VerificationService:
    hasher = KeyedHasher.from_settings(SETTINGS)
    return VerificationService(session, hasher=hasher, cipher=PiiCipher.from_settings(SETTINGS),
                               gateway=OutboxSmsGateway(session, hasher))


def complete(svc: VerificationService, claim: Claim):
    m = svc.match(claim, client="c")
    svc.send_code(m.token, "13700000000", client="c")
    code = re.search(r"\d{6}", outbox(svc.session, limit=1)[0].body).group(0)
    return m, svc.confirm(m.token, code, client="c")


def test_heir_needs_two_other_members_and_becomes_owner(session, ctx) -> None:
    uid = unit_id(session, "2幢", "102")
    req = submit(session, ctx, unit_id=uid)
    with pytest.raises(ReviewError, match="no evidence"):
        review.approve(session, req, staff=ctx["b"], hasher=ctx["hasher"], cipher=ctx["cipher"])
    ev = review.attach_evidence(session, req, staff=ctx["a"], filename="林小芳继承公证书.pdf",
                                mime="application/pdf", content=b"%PDF notarial deed",
                                cipher=ctx["cipher"])
    same = review.attach_evidence(session, req, staff=ctx["b"], filename="copy.pdf",
                                  mime="application/pdf", content=b"%PDF notarial deed",
                                  cipher=ctx["cipher"])
    assert same.id == ev.id
    assert review.evidence_file(ev, ctx["cipher"]) == ("林小芳继承公证书.pdf", "application/pdf",
                                                       b"%PDF notarial deed")
    with pytest.raises(ReviewError, match="submitted a review cannot decide"):
        review.approve(session, req, staff=ctx["a"], hasher=ctx["hasher"], cipher=ctx["cipher"])
    with pytest.raises(ReviewError, match="not a committee member"):
        review.approve(session, req, staff=ctx["outsider"], hasher=ctx["hasher"],
                       cipher=ctx["cipher"])
    review.approve(session, req, staff=ctx["b"], hasher=ctx["hasher"], cipher=ctx["cipher"])
    assert req.status == "pending" and latest_version(session, ctx["cid"]).version == 1
    with pytest.raises(ReviewError, match="already decided"):
        review.approve(session, req, staff=ctx["b"], hasher=ctx["hasher"], cipher=ctx["cipher"])
    review.approve(session, req, staff=ctx["c"], hasher=ctx["hasher"], cipher=ctx["cipher"])
    session.commit()
    assert req.status == "approved"
    version = latest_version(session, ctx["cid"])
    assert (version.version, version.source) == (2, f"review:{req.reference}")
    assert req.roster_version_id == version.id
    heir_hash = ctx["hasher"].id_hash("resident_id", HEIR.id_number)
    heir = session.scalars(select(Owner).where(Owner.id_hash == heir_hash)).one()
    assert heir.id_masked == "3508**********001X"
    m, verified = complete(service(session), Claim(ctx["cid"], HEIR.name, HEIR.id_type,
                                                   HEIR.id_number, building="2幢", unit="102"))
    assert m.units == ("2幢-102",) and verified.owner_id == heir.id
    with pytest.raises(ReviewError, match="already approved"):
        review.reject(session, req, staff=ctx["b"], reason="late")


def test_evidence_and_names_are_encrypted(session, ctx) -> None:
    req = submit(session, ctx, unit_id=unit_id(session, "2幢", "102"))
    ev = review.attach_evidence(session, req, staff=ctx["a"], filename="林小芳.jpg",
                                mime="image/jpeg", content="林小芳 身份证 35088120100101001X"
                                .encode(), cipher=ctx["cipher"])
    session.commit()
    for blob in (ev.content_enc, ev.filename_enc, req.person_name_enc):
        assert "林小芳".encode() not in blob
    assert review.person_name(req, ctx["cipher"]) == "林小芳"
    assert req.person_id_masked == "3508**********001X"
    with pytest.raises(ReviewError, match="MiB"):
        review.attach_evidence(session, req, staff=ctx["a"], filename="big", mime="x",
                               content=b"x" * (review.MAX_EVIDENCE_BYTES + 1),
                               cipher=ctx["cipher"])


def test_reject_and_withdraw(session, ctx) -> None:
    req = submit(session, ctx, unit_id=unit_id(session, "2幢", "102"))
    with pytest.raises(ReviewError, match="only the submitter"):
        review.withdraw(session, req, staff=ctx["b"])
    review.reject(session, req, staff=ctx["b"], reason="evidence_insufficient")
    assert req.status == "rejected"
    other = submit(session, ctx, unit_id=unit_id(session, "2幢", "102"))
    assert [r.id for r in review.pending(session, ctx["cid"])] == [other.id]
    review.withdraw(session, other, staff=ctx["a"])
    assert review.pending(session, ctx["cid"]) == []


@pytest.mark.parametrize("kind,kw,person,fragment", [
    ("heir", {}, HEIR, "unit of community"),
    ("developer", {}, HEIR, "统一社会信用代码"),
    ("guardian", {"owner_id": 999999}, GUARDIAN, "current roster"),
    ("alien", {}, HEIR, "unknown review kind"),
    ("heir", {}, review.Person("X", "居民身份证", "350881201001010018"), "check character"),
])
def test_submission_is_checked(session, ctx, kind, kw, person, fragment) -> None:
    with pytest.raises(ReviewError, match=fragment):
        submit(session, ctx, kind=kind, person=person, **kw)


def test_stale_review_is_refused(session, ctx) -> None:
    req = submit(session, ctx, unit_id=unit_id(session, "2幢", "102"))
    review.attach_evidence(session, req, staff=ctx["a"], filename="f", mime="x", content=b"1",
                           cipher=ctx["cipher"])
    rows = [dict(r.values) for r in parse_bytes(SMALL).rows]
    for r in rows:
        if (r["building"], r["unit"]) == ("2幢", "102"):
            r.update(owner_name="周杰", id_number="350881199001011231")
    import_extract(session, "测试小区", rows, settings=SETTINGS)
    review.approve(session, req, staff=ctx["b"], hasher=ctx["hasher"], cipher=ctx["cipher"])
    with pytest.raises(ReviewError, match="changed in the roster"):
        review.approve(session, req, staff=ctx["c"], hasher=ctx["hasher"], cipher=ctx["cipher"])


def approved(session, ctx, **kw):
    req = submit(session, ctx, **kw)
    review.attach_evidence(session, req, staff=ctx["a"], filename="f", mime="x",
                           content=b"evidence", cipher=ctx["cipher"])
    for member in (ctx["b"], ctx["c"]):
        review.approve(session, req, staff=member, hasher=ctx["hasher"], cipher=ctx["cipher"])
    session.commit()
    return req


def test_refresh_carries_committee_changes_until_the_registry_catches_up(session, ctx) -> None:
    req = approved(session, ctx, kind="delivered_buyer", unit_id=unit_id(session, "1幢", "402"),
                   person=review.Person("吴新", "居民身份证", "350881199203040014"))
    v2 = latest_version(session, ctx["cid"])
    units = {u.label: u for u in roster_units(session, v2, ctx["hasher"])}
    assert units["1幢-402"].status == "delivered" and len(units["1幢-402"].owners) == 1
    same = import_extract(session, "测试小区", SMALL, settings=SETTINGS)
    assert same.carried_over == (req.reference,) and same.unchanged and same.version == 2
    rows = [dict(r.values) for r in parse_bytes(SMALL).rows]
    for r in rows:
        if (r["building"], r["unit"]) == ("1幢", "402"):
            r.update(status="已登记", certificate_no="闽(2026)漳平市不动产权第0000999号",
                     owner_name="吴新", id_type="居民身份证", id_number="350881199203040014",
                     co_ownership="单独所有", registered_area="99.10", contract_area="")
    caught_up = import_extract(session, "测试小区", rows, settings=SETTINGS)
    session.commit()
    assert caught_up.carried_over == () and caught_up.version == 3
    assert [c.fields for c in caught_up.diff.units_changed] == [
        ("status", "registered_area", "contract_area")]


def test_developer_and_its_legal_representative(session, ctx) -> None:
    dev = review.Person("漳平市测试房地产开发有限公司", "统一社会信用代码", "91350881MA2YQC1K56")
    approved(session, ctx, kind="developer", person=dev)
    version = latest_version(session, ctx["cid"])
    units = {u.label: u for u in roster_units(session, version, ctx["hasher"])}
    owners = {u.owners for label, u in units.items() if label in ("1幢-302", "1幢-401", "1幢-402")}
    assert len(owners) == 1 and len(next(iter(owners))) == 1  # one developer on all three
    org = session.scalars(select(Owner).where(Owner.kind == "organisation")).one()
    rep = review.Person("钱总", "居民身份证", "350881196001010016")
    approved(session, ctx, kind="legal_representative", owner_id=org.id, person=rep)
    assert session.scalars(select(Representation)).one().kind == "legal_representative"
    m, verified = complete(service(session), Claim(ctx["cid"], rep.name, rep.id_type,
                                                   rep.id_number, building="1幢", unit="401"))
    assert m.holder_kind == "legal_representative" and verified.owner_id == org.id
    account = session.get(OwnerAccount, verified.account_id)
    heads = account_heads(session, account, version, ctx["hasher"])
    assert [(h.developer, h.may_vote, h.units) for h in heads] == [
        (True, True, ("1幢-302", "1幢-401", "1幢-402"))]


def test_guardian_votes_for_the_ward(session, ctx) -> None:
    zhao_hash = ctx["hasher"].id_hash("resident_id", "350821199909090076")
    zhao = session.scalars(select(Owner).where(Owner.id_hash == zhao_hash)).one()
    approved(session, ctx, kind="guardian", owner_id=zhao.id, person=GUARDIAN)
    assert latest_version(session, ctx["cid"]).version == 1  # no roster change
    m, verified = complete(service(session), Claim(ctx["cid"], GUARDIAN.name, GUARDIAN.id_type,
                                                   GUARDIAN.id_number, building="车库",
                                                   unit="B1-002"))
    assert (m.holder_kind, verified.owner_id, m.owner_name_masked) == ("guardian", zhao.id, "赵*")
    account = session.get(OwnerAccount, verified.account_id)
    assert account.holder_name_enc is not None and b"\xe8\xb5\xb5" not in account.holder_name_enc
    version = session.scalars(select(RosterVersion)).one()
    assert account_heads(session, account, version, ctx["hasher"]) == []  # parking not counted
