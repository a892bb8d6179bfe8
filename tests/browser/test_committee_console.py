"""The committee console in Chromium, from signing in to the published announcement.

How the test reaches "open" and "closed" honestly: the notice must come 15 days
before voting opens, and voting cannot end before its announced close.  The
test copies the demo's database and keys into its own instance folder (so the
shared demo stays as it was for other tests), creates and notices an assembly
through the console on a server with the real clock, then starts more servers
on the same copy with ``OWNERVOTE_CLOCK_OFFSET`` (a test/demo-only setting a
production server refuses) moving their clock past the opening and past the
close.  Nothing stored is rewritten: the ledger's entries and signed checkpoints
are the ones a real vote at those dates would have.  The signed-in session
carries over because the servers share the database and the secrets.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
import requests
from pypdf import PdfReader

from tests.support.page_checks import assert_phone_friendly
from tests.support.servers import Server

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CHINA = dt.timezone(dt.timedelta(hours=8))
TITLE = "2027年浏览器测试业主大会会议"


@pytest.fixture(scope="module")
def copy(demo, tmp_path_factory) -> tuple[Path, str]:
    """The demo's database (a consistent SQLite backup) and keys in a fresh instance folder."""
    source = Path(demo.server.instance_dir)
    target = tmp_path_factory.mktemp("committee-instance")
    for name in ("dev-secrets.json", "log-signing.key"):
        shutil.copy2(source / name, target / name)
    src = sqlite3.connect(demo.server.database_url.removeprefix("sqlite:///"))
    dst = sqlite3.connect(target / "ownervote.sqlite3")
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return target, f"sqlite:///{target / 'ownervote.sqlite3'}"


@pytest.fixture(scope="module")
def servers(copy):
    """Start a server on the copy with its clock moved on by ``offset`` (e.g. ``"16d"``)."""
    started: dict[str, Server] = {}

    def at(offset: str) -> Server:
        if offset not in started:
            env = {"OWNERVOTE_DEMO": "1", "OWNERVOTE_DASHBOARD_REFRESH_SECONDS": "1"}
            if offset:
                env["OWNERVOTE_CLOCK_OFFSET"] = offset
            started[offset] = Server(instance_dir=copy[0], database_url=copy[1],
                                     extra_env=env).start()
        return started[offset]

    yield at
    for server in started.values():
        server.stop()


def sign_in(page, demo, base: str) -> None:
    committee = demo.staff["committee"]
    page.goto(base + "/staff/sign-in")
    page.fill("#username", committee.username)
    page.fill("#password", committee.password)
    page.fill("#code", committee.code())
    submit(page, "登录")


def submit(page, name: str) -> None:
    """Click a form's button and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=name).click()


def flash(page) -> str:
    return " ".join(page.locator(".flash").all_inner_texts())


def local(value: dt.datetime) -> str:
    return value.astimezone(CHINA).strftime("%Y-%m-%dT%H:%M")


def enter_paper(page, building: str, unit: str, choice: str = "agree") -> None:
    page.select_option("#building", building)
    page.fill("#unit", unit)
    page.check(f'input[name="item_1"][value="{choice}"]')
    page.set_input_files("#scan", files=[{"name": "sheet.png", "mimeType": "image/png",
                                         "buffer": PNG}])
    page.locator("[data-sign-start]").click()


def test_committee_flow_to_the_announcement(demo, desktop, phone, servers) -> None:
    now_server = servers("")
    page = desktop
    sign_in(page, demo, now_server.url)
    page.goto(now_server.url + "/committee/")
    page.get_by_role("link", name="新建会议").click()

    page.fill("#title", TITLE)
    page.fill("#item_title", "更换小区监控设备")
    page.select_option("#item_matter", "5")
    page.fill("#item_description", "使用维修资金更换全部监控摄像头。")
    submit(page, "保存草稿")
    assert "草稿已保存" in flash(page)
    aid = int(re.search(r"/committee/a/(\d+)", page.url).group(1))

    # Publishing is refused until the window is set, and the reason is shown.
    publish = page.locator("#publish-notice")
    assert publish.is_disabled()
    assert "开始和截止时间" in page.locator("#publish-notice-why").inner_text()
    now = dt.datetime.now(dt.UTC)
    page.fill("#opens_at", local(now + dt.timedelta(days=10)))
    page.fill("#closes_at", local(now + dt.timedelta(days=12)))
    page.get_by_role("button", name="保存投票时间").click()
    # Under the 15-day notice period: the field itself refuses it, naming the earliest date
    # (the server refuses it too, see tests/web/committee/test_web_committee.py).
    assert page.locator("#opens_at").evaluate("e => e.validity.rangeUnderflow")
    assert "最早开始投票时间" in page.locator("#schedule").inner_text()
    opens = now + dt.timedelta(days=15, hours=1)
    page.fill("#opens_at", local(opens))
    page.fill("#closes_at", local(opens + dt.timedelta(days=1)))
    submit(page, "保存投票时间")
    assert "投票时间已保存" in flash(page)
    with page.expect_navigation():
        page.locator("#publish-notice").click()
    assert "通知已发布" in flash(page) and "居民委员会" in flash(page)
    assert "开始" in page.locator("#open-voting-why").inner_text()  # too early to open

    # The printable notice, on a phone too.
    phone.goto(now_server.url + f"/a/{aid}/notice")
    assert TITLE in phone.locator("main").inner_text()
    assert phone.locator(".qr svg").count() == 1
    assert_phone_friendly(phone)
    pdf = requests.get(now_server.url + f"/a/{aid}/notice.pdf", timeout=30)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert TITLE in text and f"/a/{aid}" in text

    # Fifteen days and two hours later: open, enter and sign a paper ballot.
    later = servers("15d2h")
    page.goto(later.url + f"/committee/a/{aid}/dashboard")
    assert page.locator(".clock-banner").is_visible()
    submit(page, "开始投票")
    assert "投票已开始" in flash(page)
    page.get_by_role("link", name="纸质表决票").click()
    enter_paper(page, "2幢", "101")
    page.locator("[data-sign-panel], .sign-result.flash").first.wait_for()
    summary = page.locator("[data-sign-summary]").inner_text()
    assert summary, page.locator("[data-sign-result]").inner_text()
    assert "2幢-101" in summary and "同意" in summary
    with page.expect_navigation():
        page.get_by_role("button", name="签名并录入").click()
    assert "纸质票已录入" in flash(page)
    assert "2幢-101" in page.locator("table").inner_text()
    page.goto(later.url + f"/committee/a/{aid}/dashboard")
    assert page.locator("svg.gauge").count() == 4
    assert "同意" not in " ".join(page.locator("svg.gauge").evaluate_all(
        "els => els.map(e => e.getAttribute('aria-label'))"))
    assert "截止" in page.locator("#close-voting-why").inner_text()  # not before the close

    # After the close: close, count, announce.
    closed = servers("17d")
    page.goto(closed.url + f"/committee/a/{aid}/dashboard")
    submit(page, "截止投票")
    assert "投票已截止" in flash(page)
    assert page.locator("h1").inner_text() == "投票截止时的参与情况"  # worded as closed
    assert "还需" not in page.locator("main").inner_text()
    page.goto(closed.url + f"/committee/a/{aid}/results")
    submit(page, "计票")
    assert "已根据账本" in flash(page)
    assert page.locator(".result-item").count() == 1
    submit(page, "发布公告")
    assert "公告已发布" in flash(page)

    phone.goto(closed.url + f"/a/{aid}/announcement")
    body = phone.locator("main").inner_text()
    assert TITLE in body and "2幢-101" in body and "未通过" in body  # one ballot: no quorum
    assert_phone_friendly(phone)


def test_a_double_vote_on_paper_is_refused_with_the_reason(demo, desktop, servers) -> None:
    """The demo's open assembly: an owner who voted online cannot also be counted on paper."""
    server = servers("")
    page = desktop
    sign_in(page, demo, server.url)
    page.goto(server.url + "/committee/")
    page.get_by_role("link", name="2026年第二次业主大会会议").click()
    page.get_by_role("link", name="表决票与作废").click()
    online = page.locator("tbody tr", has_text="电子").first.locator("td").nth(1).inner_text()
    unit = online.split("、")[0]
    building, number = unit.split("-")
    page.get_by_role("link", name="纸质表决票").click()
    enter_paper(page, building, number, "oppose")
    page.locator(".sign-result.flash").wait_for()
    message = page.locator("[data-sign-result]").inner_text()
    assert "已于" in message and "电子投票" in message and "纸质票不予计入" in message, message
    assert page.locator("[data-sign-panel]").is_hidden()  # nothing to sign


def test_the_demos_announced_assembly(demo, phone) -> None:
    phone.goto(demo.url + "/")
    link = phone.get_by_role("link", name="2026年第一次业主大会会议").first
    aid = int(re.search(r"/a/(\d+)", link.get_attribute("href")).group(1))
    phone.goto(demo.url + f"/a/{aid}/announcement")
    body = phone.locator("main").inner_text()
    for text in ("选举第二届业主委员会委员", "陈建国", "赞成人数", "修订《管理规约》", "参与表决",
                 "异议"):
        assert text in body, text
    assert re.search(r"\d+幢-\d+", body)  # units that voted, with their area
    assert phone.locator("svg.gauge").count() >= 2
    # the figures table is wider than a phone: a line says it scrolls sideways
    wrap = phone.locator(".result-item .table-wrap").first
    assert wrap.evaluate("e => e.scrollWidth > e.clientWidth")
    assert phone.locator(".result-item .scroll-hint").first.is_visible()
    assert "左右滑动" in phone.locator(".result-item .scroll-hint").first.inner_text()
    assert_phone_friendly(phone)
    phone.goto(demo.url + f"/a/{aid}/notice")
    assert "扫码投票" in phone.locator("main").inner_text()
    assert_phone_friendly(phone)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(requests.get(
        demo.url + f"/a/{aid}/announcement.pdf", timeout=30).content)).pages)
    assert "2026年第一次业主大会会议" in text and "陈建国" in text


def test_a_unit_sold_during_the_vote_is_recorded(demo, desktop, servers) -> None:
    """The demo's open assembly: a unit whose owner has not voted is recorded as sold, signed
    with the member's browser key, and listed (the buyer only as a pseudonym)."""
    import random

    from identity.synthetic import resident_id

    server = servers("")
    page = desktop
    sign_in(page, demo, server.url)
    page.goto(server.url + "/committee/")
    page.get_by_role("link", name="2026年第二次业主大会会议").click()
    page.get_by_role("link", name="尚未投票").click()
    page.wait_for_url(re.compile(r"/non-voters"))  # the list itself, not the page before it
    page.locator("tbody tr td:first-child").first.wait_for()
    cells = page.locator("tbody tr td:first-child").all_inner_texts()
    unit = next(c for c in cells if "、" not in c and "开发" not in c and "-" in c).strip()
    building, number = unit.rsplit("-", 1)
    buyer = resident_id(random.Random(11))
    page.get_by_role("link", name="过户").click()
    page.select_option("#building", building)
    page.fill("#unit", number)
    page.fill("#transferred_at", local(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)))
    page.fill("#buyer_id_number", buyer)
    page.set_input_files("#evidence", files=[{"name": "record.png", "mimeType": "image/png",
                                             "buffer": PNG}])
    page.locator("[data-sign-start]").click()
    page.locator("[data-sign-panel]").wait_for()
    summary = page.locator("[data-sign-summary]").inner_text()
    assert unit in summary and "买受人" in summary, summary
    with page.expect_navigation():
        page.locator("[data-sign-confirm]").click()
    assert "过户已登记为账本记录" in flash(page)
    row = page.locator("tbody tr", has_text=unit)
    assert row.count() == 1 and buyer not in page.content()


def test_the_open_dashboard_updates_itself(demo, desktop, servers) -> None:
    """A paper ballot entered in another tab shows on the open dashboard without a reload
    (the servers of this module poll every second); nothing is fetched while it is hidden."""
    server = servers("")
    page = desktop
    sign_in(page, demo, server.url)
    page.goto(server.url + "/committee/")
    page.get_by_role("link", name="2026年第二次业主大会会议").click()
    page.get_by_role("link", name="尚未投票").click()
    page.wait_for_url(re.compile(r"/non-voters"))
    cells = page.locator("tbody tr td:first-child").all_inner_texts()
    unit = [c for c in cells if "、" not in c and "开发" not in c and "-" in c][-1].strip()
    dashboard = page.url.replace("/non-voters", "/dashboard")
    page.goto(dashboard)
    overall = page.locator("[data-overall]")
    before = overall.inner_text()
    page.evaluate("window.notReloaded = true")

    other = page.context.new_page()
    other.goto(dashboard.replace("/dashboard", "/paper"))
    building, number = unit.rsplit("-", 1)
    enter_paper(other, building, number)
    other.locator("[data-sign-panel]").wait_for()
    with other.expect_navigation():
        other.get_by_role("button", name="签名并录入").click()
    assert "纸质票已录入" in flash(other)
    other.close()

    page.wait_for_function("(before) => document.querySelector('[data-overall]').innerText "
                           "!== before", arg=before, timeout=10_000)
    assert page.evaluate("window.notReloaded") is True  # updated in place, not reloaded

    fetched: list[str] = []
    page.on("request", lambda r: "/dashboard/live" in r.url and fetched.append(r.url))
    page.evaluate("""() => { Object.defineProperty(document, 'hidden', {value: true,
        configurable: true}); document.dispatchEvent(new Event('visibilitychange')); }""")
    page.wait_for_timeout(2500)
    assert fetched == []  # paused while the tab is hidden
    page.evaluate("""() => { Object.defineProperty(document, 'hidden', {value: false,
        configurable: true}); document.dispatchEvent(new Event('visibilitychange')); }""")
    page.wait_for_timeout(1500)
    assert fetched  # and fetched again at once when it is back
