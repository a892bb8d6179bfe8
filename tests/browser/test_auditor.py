"""The public records in Chromium: an auditor downloads the closed demo assembly's bundle
and verifies it with ``ownervote verify``; the receipt lookup and the checkpoints on a phone."""

from __future__ import annotations

import base64
import re
import sqlite3
import subprocess
import sys

import pytest

from tests.support.page_checks import assert_phone_friendly

CLOSED = "2026年第一次业主大会会议"


def _sign_in(page, demo, role: str) -> None:
    account = demo.staff[role]
    page.goto(demo.url + "/staff/sign-in")
    page.get_by_label("用户名").fill(account.username)
    page.get_by_label("密码").fill(account.password)
    page.get_by_label("身份验证器应用中的动态验证码").fill(account.code())
    page.get_by_role("button", name="登录").click()


def _closed_record(page, demo) -> str:
    page.goto(demo.url + "/audit/")
    page.get_by_role("link", name=CLOSED).click()
    page.wait_for_url(re.compile(r"/audit/assemblies/\d+$"))
    return page.url


def test_auditor_downloads_and_verifies_the_closed_assembly(demo, desktop, tmp_path) -> None:
    page = desktop
    _sign_in(page, demo, "auditor")
    page.wait_for_url(demo.url + "/audit/")
    assert page.get_by_role("heading", level=1).inner_text() == "业主大会公开记录"
    record = _closed_record(page, demo)
    assert page.get_by_role("heading", level=1).inner_text() == CLOSED
    log_key = page.locator("code.key").first.inner_text().strip()
    assert re.fullmatch(r"\S+/log\+[0-9a-f]{8}\+\S+", log_key)

    with page.expect_download() as info:
        page.get_by_role("link", name="下载审计数据包").click()
    download = info.value
    assert re.fullmatch(r"ownervote-assembly-\d+-size-\d+\.zip", download.suggested_filename)
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    # The verify page's command, pinned to the same key the record page shows.
    page.goto(record + "/verify")
    command = page.locator("pre.command").nth(1).inner_text()
    assert f"--log-key '{log_key}'" in command and download.suggested_filename in command
    done = subprocess.run([sys.executable, "-m", "ownervote.cli", "verify", "--log-key", log_key,
                           "--workers", "1", str(path)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith("VALID")

    # A second download is the same file (cached per log state) and extends the first.
    with page.expect_download() as again:
        page.get_by_role("link", name="下载审计数据包").first.click()
    second = tmp_path / "second.zip"
    again.value.save_as(second)
    assert second.read_bytes() == path.read_bytes()
    done = subprocess.run([sys.executable, "-m", "ownervote.cli", "verify", "--log-key", log_key,
                           "--workers", "1", "--previous", str(path), str(second)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_anonymous_visitors_see_why_but_get_no_bundle(demo, phone) -> None:
    record = _closed_record(phone, demo)
    assert phone.get_by_role("link", name="下载审计数据包").count() == 0
    phone.get_by_role("link", name="原因").click()
    assert "谁可以下载审计数据包" in phone.get_by_role("heading", level=1).inner_text()
    assert_phone_friendly(phone)
    response = phone.request.get(record + "/bundle.zip")
    assert response.status == 401


def _a_tracker(demo) -> str:
    """A ballot of the closed demo assembly, read from the demo's database."""
    db = sqlite3.connect(demo.server.database_url.removeprefix("sqlite:///"))
    try:
        (entry_hash,) = db.execute(
            "SELECT e.entry_hash FROM ledger_entry e JOIN assembly a ON a.id = e.assembly_id "
            "WHERE a.title = ? AND e.kind = 'ballot' ORDER BY e.\"index\" LIMIT 1",
            (CLOSED,)).fetchone()
    finally:
        db.close()
    b32 = base64.b32encode(bytes(entry_hash)).decode()[:20]
    return "-".join(b32[i:i + 4] for i in range(0, 20, 4))


def test_receipt_lookup_on_a_phone(demo, phone) -> None:
    _closed_record(phone, demo)
    tracker = _a_tracker(demo)
    phone.get_by_label("回执码（20 位字母和数字，与回执上一致）").fill(tracker.lower())
    phone.get_by_role("button", name="查验").click()
    assert phone.get_by_text("这张选票已记入日志。").is_visible()
    assert tracker in phone.locator(".tracker").inner_text()
    assert "证明已核验" in phone.locator("dl.kv").inner_text()
    assert_phone_friendly(phone)

    phone.get_by_label("回执码（20 位字母和数字，与回执上一致）").fill("AAAA-BBBB-CCCC-DDDD-EEEE")
    phone.get_by_role("button", name="查验").click()
    assert phone.get_by_text("本次大会的日志中没有这个回执码对应的选票。").is_visible()
    assert_phone_friendly(phone)


def test_checkpoints_on_a_phone(demo, phone) -> None:
    record = _closed_record(phone, demo)
    phone.get_by_role("link", name=re.compile("全部检查点和联署签名")).click()
    phone.wait_for_url(record + "/checkpoints")
    notes = phone.locator("pre.note")
    assert notes.count() >= 2
    first = notes.first.inner_text()
    assert re.search(r"/assembly/\d+\n\d+\n\S+=\n\n— \S+/log \S+", first)
    assert_phone_friendly(phone)  # the long signature lines wrap instead of scrolling
    phone.get_by_text("用脚本提交").click()
    assert "ownervote keys cosign" in phone.locator("pre.command").first.inner_text()
    assert_phone_friendly(phone)


@pytest.mark.parametrize("path", ["/audit/", "/audit/access", "/verify"])
def test_public_record_pages_on_a_phone(demo, phone, path) -> None:
    phone.goto(demo.url + path)
    assert phone.locator("html").get_attribute("lang") == "zh-CN"
    assert_phone_friendly(phone)
