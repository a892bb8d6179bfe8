"""The lifecycle's refusals as the committee reads them (web/committee/lifecycle_messages.py).

Every :class:`~voting.errors.TransitionReason` the domain can give has a message in
Chinese and in English (no English in the Chinese one), worded with the refusal's
figures in China time.  Hand-made POSTs to the proceedings' steps at the wrong time
get the domain's refusal worded by that table, and change nothing — on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import re

import pytest
from sqlalchemy import func, select

from ledger.errors import LedgerError, Refusal
from ownervote.audit import AuditEvent
from tests.support.committee_console import (
    NEW_ASSEMBLY,
    assembly_id,
    local_input,
    set_clock,
    sign_in,
)
from voting import lifecycle
from voting.errors import TallyError, TransitionReason, TransitionRefused
from voting.lifecycle import Timeline
from voting.settings import AssemblySettings
from voting.store.models import Assembly

CHINA = dt.timezone(dt.timedelta(hours=8))
LATIN = re.compile(r"[A-Za-z]")
CJK = re.compile(r"[\u4e00-\u9fff]")
FLASH = re.compile(r'<p class="flash flash-(\w+)" role="status">(.*?)</p>', re.S)
NOW = dt.datetime(2027, 3, 1, 2, 0, tzinfo=dt.UTC)
SETTINGS = AssemblySettings()


def china(value: dt.datetime) -> str:
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def every_refusal() -> list[TransitionRefused]:
    """One refusal of each code, each as the domain gives it (FINAL cannot be reached by a
    move, so it is made by hand)."""
    day = dt.timedelta(days=1)

    def move(status, wanted, timeline=None, items=1):
        return lifecycle.refusal(status, wanted, timeline or Timeline(), NOW, SETTINGS,
                                 item_count=items)

    noticed = NOW - 20 * day
    return [
        move("draft", "重新开始"),
        move("open", "open"),
        move("open", "draft"),
        move("draft", "open"),
        TransitionRefused("announced", "announced", "announced is final",
                          code=TransitionReason.FINAL),
        move("draft", "noticed", items=0),
        move("draft", "noticed"),
        move("draft", "noticed", Timeline(opens_at=NOW + 20 * day, closes_at=NOW + 19 * day)),
        move("draft", "noticed", Timeline(opens_at=NOW + 10 * day, closes_at=NOW + 12 * day)),
        move("noticed", "open", Timeline(notice_at=noticed)),
        move("noticed", "open", Timeline(opens_at=NOW)),
        move("noticed", "open", Timeline(notice_at=noticed, opens_at=noticed + 5 * day)),
        move("noticed", "open", Timeline(notice_at=noticed, opens_at=NOW + day)),
        move("open", "closed", Timeline(notice_at=noticed, opens_at=NOW - day)),
        move("open", "closed", Timeline(notice_at=noticed, opens_at=NOW - day,
                                        closes_at=NOW + day)),
        lifecycle.editing_refusal("noticed"),
        lifecycle.objection_refusal("tallied"),
        lifecycle.reminder_refusal("closed"),
        lifecycle.final_announcement_refusal("tallied", None, None, NOW),
        lifecycle.final_announcement_refusal("announced", NOW + day, None, NOW),
        lifecycle.final_announcement_refusal("announced", NOW - day, NOW - day, NOW),
    ]


@pytest.fixture
def plain_app(tmp_path):
    """The application alone (no database is opened by these tests)."""
    from ownervote.config import load_settings
    from web import create_app

    def key(n: int) -> str:
        return base64.urlsafe_b64encode(bytes([n]) * 32).decode()

    settings = load_settings({
        "OWNERVOTE_ENV": "test", "OWNERVOTE_INSTANCE_DIR": str(tmp_path / "instance"),
        "OWNERVOTE_DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "OWNERVOTE_SECRET_KEY": key(1), "OWNERVOTE_ID_HASH_KEY": key(2),
        "OWNERVOTE_PII_KEYS": "t1:" + key(3), "OWNERVOTE_BASE_URL": "http://ownervote.test",
    })
    application = create_app(settings, TESTING=True, RATELIMIT_ENABLED=False)
    yield application
    application.extensions["ownervote.engine"].dispose()


def _words(app, lang: str, make) -> str:
    with app.test_request_context(f"/?lang={lang}"):
        return make()


def test_every_transition_reason_is_worded_in_both_languages(plain_app) -> None:
    from web.committee.lifecycle_messages import TRANSITIONS, transition_message

    refusals = every_refusal()
    assert {r.code for r in refusals} == set(TransitionReason)  # a new code needs a sample
    assert set(TRANSITIONS) == set(TransitionReason)
    for refused in refusals:
        zh = _words(plain_app, "zh", lambda r=refused: transition_message(r))
        en = _words(plain_app, "en", lambda r=refused: transition_message(r))
        assert CJK.search(zh) and not LATIN.search(zh), (refused.code, zh)
        assert LATIN.search(en) and en != zh, (refused.code, en)
        for name, value in refused.params.items():  # the figures, datetimes in China time
            if name == "next":
                continue  # "finish the earlier steps first" (today's wording) names none
            shown = china(value) if isinstance(value, dt.datetime) else str(value)
            assert shown in zh and shown in en, (refused.code, shown, zh)
    assert _words(plain_app, "zh", lambda: transition_message(None)) is None


def test_the_figures_are_worded_as_before(plain_app) -> None:
    from web.committee.lifecycle_messages import transition_message

    short = lifecycle.window_refusal("draft", NOW + dt.timedelta(days=10),
                                     NOW + dt.timedelta(days=12), NOW, SETTINGS)
    assert short.code is TransitionReason.NOTICE_TOO_SHORT
    assert _words(plain_app, "zh", lambda: transition_message(short)) == (
        "投票开始时间 2027-03-11 10:00 距现在发布通知不足 15 天（物业管理条例 第14条）。"
        "最早可于 2027-03-16 10:00 开始。")
    assert _words(plain_app, "en", lambda: transition_message(short)) == (
        "Voting opens 2027-03-11 10:00, less than 15 days after a notice published now "
        "(物业管理条例 第14条). The earliest allowed opening is 2027-03-16 10:00.")


def test_ledger_and_count_failures_are_worded_too(plain_app) -> None:
    from web.committee.lifecycle_messages import LEDGER_STEPS, step_failure

    failures = [LedgerError("x", code=code) for code in LEDGER_STEPS]
    failures += [LedgerError("no voting window"), LedgerError("x", code=Refusal.BAD_SIGNATURE),
                 TallyError("head h1 is not in the roster")]
    for exc in failures:
        zh = _words(plain_app, "zh", lambda e=exc: step_failure(e))
        en = _words(plain_app, "en", lambda e=exc: step_failure(e))
        assert CJK.search(zh) and not LATIN.search(zh), zh
        assert LATIN.search(en) and en != zh and str(exc) not in en, en


def test_the_window_is_decided_by_the_lifecycle() -> None:
    """The voting-window form's rules are the notice's: one rule, one place."""
    day = dt.timedelta(days=1)
    for opens, closes in ((None, NOW + 20 * day), (NOW + 20 * day, NOW + 19 * day),
                          (NOW + 10 * day, NOW + 12 * day), (NOW + 16 * day, NOW + 18 * day)):
        window = lifecycle.window_refusal("draft", opens, closes, NOW, SETTINGS)
        notice = lifecycle.refusal("draft", "noticed", Timeline(opens_at=opens, closes_at=closes),
                                   NOW, SETTINGS, item_count=1)
        assert (window and window.code) == (notice and notice.code)
    frozen = lifecycle.window_refusal("noticed", NOW + 16 * day, NOW + 18 * day, NOW, SETTINGS)
    assert frozen.code is TransitionReason.FROZEN_BY_NOTICE
    assert lifecycle.earliest_opening(NOW, SETTINGS) == NOW + 15 * day


# --- hand-made POSTs at the wrong time, on both databases ---------------------------------


def _flashes(response) -> list[tuple[str, str]]:
    return [(kind, html.unescape(text.strip()))
            for kind, text in FLASH.findall(response.get_data(as_text=True))]


def _refused(client, path: str, data: dict | None = None) -> str:
    """POST, follow the redirects, and return the error it flashed (in Chinese).  (The
    dashboard of a draft adds its own "publish the notice first" after it.)"""
    r = client.post(path, data=data or {}, follow_redirects=True)
    assert r.status_code == 200, (path, r.status_code)
    errors = [text for kind, text in _flashes(r) if kind == "error"]
    assert errors, (path, _flashes(r))
    for message in errors:
        assert not LATIN.search(message), (path, message)  # no English in the zh page
    return errors[0]


def _state(session, aid: int) -> tuple:
    session.rollback()  # a new transaction sees what the app committed
    a = session.get(Assembly, aid)
    audit = session.scalar(select(func.count()).select_from(AuditEvent))
    return (a.status, a.opens_at, a.closes_at, a.notice_at, a.roster_digest, len(a.items),
            a.announced_at, audit)


def test_steps_at_the_wrong_time_get_the_domains_refusal(app, client, session,
                                                         world) -> None:
    sign_in(client, world.members["a1"])
    aid = assembly_id(client.post("/committee/new", data=NEW_ASSEMBLY))
    base = f"/committee/a/{aid}"
    before = _state(session, aid)

    # A draft: no window yet, nothing can follow it but the notice.
    assert _refused(client, f"{base}/notice") == "请先设定开始和截止时间。"
    assert 'id="publish-notice-why">请先设定开始和截止时间。' in client.get(base).get_data(
        as_text=True)
    assert "Set the opening and closing times first." in client.get(f"{base}?lang=en") \
        .get_data(as_text=True)
    for step in ("open", "close", "tally", "announce"):
        assert _refused(client, f"{base}/{step}") == "请先完成前面的步骤。", step
    assert _refused(client, f"{base}/objections", {"note": "对计票有疑问。"}) \
        == "公告发布后才能记录异议。"
    assert _state(session, aid) == before

    # The voting window: decided by the lifecycle, worded by the table.
    now = dt.datetime.now(dt.UTC)
    bad = _refused(client, f"{base}/schedule", {
        "opens_at": local_input(now + dt.timedelta(days=20)),
        "closes_at": local_input(now + dt.timedelta(days=19))})
    assert bad == "截止时间必须晚于开始时间。"
    early = now + dt.timedelta(days=10)
    short = _refused(client, f"{base}/schedule", {
        "opens_at": local_input(early), "closes_at": local_input(early + dt.timedelta(days=2))})
    assert short.startswith(f"投票开始时间 {china(early)} 距现在发布通知不足 15 天") \
        and "物业管理条例 第14条" in short and "最早可于" in short, short
    assert _refused(client, f"{base}/schedule", {"opens_at": "not a date",
                                                 "closes_at": ""}) \
        == "请填写开始和截止的日期和时间。"
    assert _state(session, aid) == before
    opens = (now + dt.timedelta(days=15, hours=2)).replace(second=0, microsecond=0)
    closes = opens + dt.timedelta(days=7)
    client.post(f"{base}/schedule", data={"opens_at": local_input(opens),
                                          "closes_at": local_input(closes)})

    # Three hours later the same window is too close for a notice published then.
    set_clock(app, hours=3)
    late = _refused(client, f"{base}/notice")
    assert late.startswith(f"投票开始时间 {china(opens)} 距现在发布通知不足 15 天"), late
    session.rollback()
    assert session.get(Assembly, aid).status == "draft"
    assert session.get(Assembly, aid).roster_digest is None
    set_clock(app)
    client.post(f"{base}/notice")
    noticed = _state(session, aid)
    assert noticed[0] == "noticed"

    # Noticed: frozen; too early to open; nothing further yet.
    frozen = "通知已发布：议题、设置、文件和投票时间均已冻结，因为只能表决通知中列明的内容。"
    assert _refused(client, f"{base}/items", {"item_title": "新议题", "item_matter": "9"}) \
        == frozen
    assert _refused(client, f"{base}/schedule", {"opens_at": local_input(opens),
                                                 "closes_at": local_input(closes)}) == frozen
    assert _refused(client, f"{base}/items/1/delete") == frozen
    assert _refused(client, f"{base}/open") == f"投票于 {china(opens)} 开始，与通知告知业主的一致。"
    r = client.post(f"{base}/open?lang=en", follow_redirects=True)
    assert [text for kind, text in _flashes(r) if kind == "error"] == [
        f"Voting opens at {china(opens)}, as the notice told the owners."]
    assert _refused(client, f"{base}/notice") == "该步骤已完成；会议流程不能倒退。"
    for step in ("close", "tally", "announce"):
        assert _refused(client, f"{base}/{step}") == "请先完成前面的步骤。", step
    assert _state(session, aid) == noticed

    # Open: not closed before the announced time.
    set_clock(app, days=15, hours=3)
    client.post(f"{base}/open")
    opened = _state(session, aid)
    assert opened[0] == "open"
    assert _refused(client, f"{base}/close") \
        == f"投票于 {china(closes)} 截止；已告知业主，不能提前结束。"
    assert _refused(client, f"{base}/open") == "该步骤已完成；会议流程不能倒退。"
    assert _state(session, aid) == opened

    # Closed: no reminders, no announcement before the count; each step once.
    set_clock(app, days=23)
    client.post(f"{base}/close")
    assert _refused(client, f"{base}/reminders", {"building": ""}) \
        == "只有在投票期间才能发送提醒。"
    assert _refused(client, f"{base}/announce") == "请先完成前面的步骤。"
    client.post(f"{base}/tally")
    assert _refused(client, f"{base}/tally") == "该步骤已完成；会议流程不能倒退。"
    client.post(f"{base}/announce")
    done = _state(session, aid)
    assert done[0] == "announced"
    for step in ("announce", "tally", "close", "open", "notice"):
        assert _refused(client, f"{base}/{step}") == "该步骤已完成；会议流程不能倒退。", step
    assert _state(session, aid) == done
