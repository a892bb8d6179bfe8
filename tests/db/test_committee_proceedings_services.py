"""The proceedings' services called directly (no page), on SQLite and PostgreSQL: a draft's
changes, the voting window, objections and reminders, each one unit of work that keeps
what it must and changes nothing when it refuses."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from identity.errors import SmsError
from identity.masking import mask_phone
from identity.pii import PiiCipher, account_phone_purpose
from identity.store.models import Owner, OwnerAccount, Ownership, Unit
from ledger.keys import load_or_create_log_key, log_key_name
from ownervote.audit import AuditEvent
from ownervote.services import assemblies, notices, proceedings, reminders, results
from ownervote.services.errors import NotFound
from tests.support.committee_console import World, build_console_world
from voting.errors import TransitionReason, TransitionRefused
from voting.items import ItemSpec
from voting.settings import AssemblySettings
from voting.store.models import Assembly


@pytest.fixture
def world(app, session, ov_settings) -> World:
    """Two small communities with committee members (tests/support/committee_console.py)."""
    return build_console_world(session, ov_settings)


NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
DAY = dt.timedelta(days=1)


def _draft(session, world, **settings) -> int:
    a = assemblies.create_draft(
        session, community_id=world.a.id, title="2027年第一次业主大会会议", description="",
        settings=AssemblySettings.from_dict(settings) if settings else AssemblySettings(),
        item=ItemSpec("选聘物业服务企业", 4, scope_buildings=("1幢",)), actor="test")
    return a.id


def _audit(session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent))


def test_a_drafts_changes_and_their_refusals(app, session, world) -> None:
    aid = _draft(session, world)
    assert assemblies.add_item(session, aid, spec=ItemSpec("筹集维修资金", 6)) == 2
    with pytest.raises(assemblies.ItemOutsideScope) as outside:  # item 1 is limited to 1幢
        assemblies.save_settings(session, aid, title="新标题", description="",
                                 settings=AssemblySettings.from_dict(
                                     {"scope_buildings": ["2幢"]}))
    assert outside.value.position == 1
    session.rollback()
    assert session.get(Assembly, aid).title == "2027年第一次业主大会会议"  # nothing changed
    with pytest.raises(NotFound):
        assemblies.remove_item(session, aid, position=9)
    assemblies.remove_item(session, aid, position=1)
    session.rollback()
    assert [(i.position, i.title) for i in session.get(Assembly, aid).items] == [
        (1, "筹集维修资金")]

    with pytest.raises(TransitionRefused) as short:
        notices.set_window(session, aid, opens_at=NOW + 10 * DAY, closes_at=NOW + 12 * DAY,
                           now=NOW)
    assert short.value.code is TransitionReason.NOTICE_TOO_SHORT
    assert short.value.params["earliest"] == NOW + 15 * DAY
    notices.set_window(session, aid, opens_at=NOW + 16 * DAY, closes_at=NOW + 18 * DAY,
                       now=NOW)
    assert notices.earliest_opening(session.get(Assembly, aid), NOW) == NOW + 15 * DAY


def _signer(settings):
    return load_or_create_log_key(settings.log_key_file, log_key_name(settings.base_url))


def _open(session, world, settings) -> int:
    aid = _draft(session, world)
    notices.set_window(session, aid, opens_at=NOW + 16 * DAY, closes_at=NOW + 18 * DAY,
                       now=NOW)
    signer = _signer(settings)
    proceedings.publish_notice(session, aid, signer=signer, settings=settings, now=NOW,
                               actor="test")
    proceedings.open_voting(session, aid, signer=signer, now=NOW + 16 * DAY, actor="test")
    return aid


def test_a_published_notice_freezes_the_draft(app, session, world, ov_settings) -> None:
    aid = _open(session, world, ov_settings)
    before = _audit(session)
    for change in (lambda: assemblies.add_item(session, aid, spec=ItemSpec("新议题", 9)),
                   lambda: assemblies.remove_item(session, aid, position=1),
                   lambda: assemblies.attach_document(session, aid, filename="a.pdf",
                                                      mime="application/pdf",
                                                      content=b"%PDF-1.4"),
                   lambda: notices.set_window(session, aid, opens_at=NOW + 30 * DAY,
                                              closes_at=NOW + 31 * DAY, now=NOW)):
        with pytest.raises(TransitionRefused) as frozen:
            change()
        assert frozen.value.code is TransitionReason.FROZEN_BY_NOTICE
    with pytest.raises(TransitionRefused) as early:
        results.record_objection(session, aid, text="对计票有疑问。",
                                 cipher=PiiCipher.from_settings(ov_settings),
                                 now=NOW + 16 * DAY, actor="test")
    assert early.value.code is TransitionReason.OBJECTIONS_AFTER_ANNOUNCEMENT
    session.rollback()
    assert _audit(session) == before and len(session.get(Assembly, aid).items) == 1


def _account(session, cipher, community_id: int, unit_number: str, n: int) -> None:
    unit = session.scalars(select(Unit).where(Unit.number == unit_number,
                                              Unit.community_id == community_id)).first()
    owner_id = session.scalars(select(Ownership.owner_id).where(
        Ownership.unit_id == unit.id)).first()
    phone = f"1381234{n:04d}"
    session.add(OwnerAccount(key=f"acct-{n}", owner_id=owner_id, holder_kind="self",
                             holder_id_hash=session.get(Owner, owner_id).id_hash,
                             phone_enc=cipher.encrypt_text(
                                 phone, purpose=account_phone_purpose(f"acct-{n}")),
                             phone_hash=f"{n:064d}", phone_masked=mask_phone(phone)))


def test_reminders_sent_before_the_gateway_fails_stay_recorded(app, session, world,
                                                               ov_settings,
                                                               monkeypatch) -> None:
    aid = _open(session, world, ov_settings)
    cipher = PiiCipher.from_settings(ov_settings)
    session.rollback()
    _account(session, cipher, world.a.id, "101", 1)
    _account(session, cipher, world.a.id, "202", 2)
    session.commit()
    sent: list[str] = []

    class FailsSecond:
        def send(self, phone: str, text: str) -> None:
            if sent:
                raise SmsError("gateway down")
            sent.append(phone)

    monkeypatch.setattr(reminders, "make_gateway", lambda settings, session: FailsSecond())
    during = NOW + 16 * DAY + dt.timedelta(hours=1)
    with pytest.raises(reminders.GatewayFailed) as failed:
        reminders.send(session, aid, building=None, text="请投票", settings=ov_settings,
                       cipher=cipher, now=during, actor="test")
    assert failed.value.sent == 1 and sent
    session.rollback()
    assert len(reminders.last_reminded(session, aid)) == 1  # the one sent is recorded
    assert len(reminders.recent(session, aid)) == 1

    monkeypatch.setattr(reminders, "make_gateway", lambda settings, session: _Collect())
    again = reminders.send(session, aid, building=None, text="请投票", settings=ov_settings,
                           cipher=cipher, now=during + dt.timedelta(hours=1), actor="test")
    assert (again.sent, again.skipped) == (1, 1)  # the first owner was reminded an hour ago

    proceedings.close_voting(session, aid, signer=_signer(ov_settings), now=NOW + 18 * DAY,
                             actor="test")
    with pytest.raises(TransitionRefused) as closed:
        reminders.send(session, aid, building=None, text="请投票", settings=ov_settings,
                       cipher=cipher, now=NOW + 18 * DAY, actor="test")
    assert closed.value.code is TransitionReason.REMINDERS_ONLY_WHILE_OPEN


class _Collect:
    def send(self, phone: str, text: str) -> None:
        pass
