"""Staff in Chromium: the demo's one-time-code hint, an administrator creating an account
(TOTP set up from the QR code's secret), signing out, deactivation; a supervisor's district."""

from __future__ import annotations

import re
import secrets

import pyotp

from tests.support.page_checks import assert_accessible_basics, assert_phone_friendly
from tests.support.totp import fresh_code


def _fill(page, username: str, password: str, code: str) -> None:
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_label("身份验证器应用中的动态验证码").fill(code)
    page.get_by_role("button", name="登录").click()


def _hint(page, username: str) -> str:
    row = page.locator("section.demo-codes tr", has_text=username)
    return row.locator("td.code").inner_text().strip()


def test_admin_signs_in_with_the_demo_hint_and_manages_an_account(demo, desktop) -> None:
    page = desktop
    admin = demo.staff["admin"]
    page.goto(demo.url + "/staff/sign-in")
    code = _hint(page, admin.username)
    assert re.fullmatch(r"\d{6}", code)
    assert pyotp.TOTP(admin.totp_secret).verify(code, valid_window=1)
    _fill(page, admin.username, admin.password, code)
    page.wait_for_url(demo.url + "/admin/")
    assert "漳平市菁城街道九鹏花园" in page.locator("table").inner_text()

    name = f"auditor-{secrets.token_hex(3)}"
    page.get_by_role("link", name="工作人员账号").click()
    page.get_by_role("link", name="新建账号").click()
    page.get_by_label("用户名").fill(name)
    page.get_by_label("初始密码").fill("browser-test-password")
    page.get_by_label("角色").select_option("auditor")
    page.get_by_role("button", name="创建账号").click()
    assert page.locator(".qr svg").is_visible()
    secret = page.locator("p.secret").inner_text().strip()
    assert_accessible_basics(page)

    page.get_by_role("button", name="退出登录").click()
    page.goto(demo.url + "/staff/sign-in")
    assert page.locator("section.demo-codes").inner_text().count(name) == 0  # not a demo account
    _fill(page, name, "browser-test-password", fresh_code(secret))
    page.wait_for_url(demo.url + "/audit/")
    page.get_by_role("button", name="退出登录").click()

    page.goto(demo.url + "/staff/sign-in")
    second = _hint(page, admin.username)  # the hint moves on: each code signs in once
    assert second != code
    _fill(page, admin.username, admin.password, second)
    page.wait_for_url(demo.url + "/admin/")
    page.goto(demo.url + "/admin/staff")
    page.get_by_role("button", name=f"停用 {name}").click()
    assert page.get_by_text(f"{name} 已不能再登录。").is_visible()
    page.get_by_role("button", name="退出登录").click()
    page.goto(demo.url + "/staff/sign-in")
    _fill(page, name, "browser-test-password", fresh_code(secret))
    assert page.get_by_role("alert").inner_text() == "用户名、密码或动态验证码不正确。"


def test_supervisor_district_on_a_phone(demo, phone) -> None:
    supervisor = demo.staff["supervisor"]
    phone.goto(demo.url + "/staff/sign-in")
    _fill(phone, supervisor.username, supervisor.password, supervisor.code())
    phone.wait_for_url(demo.url + "/supervisor/")
    assert phone.get_by_role("heading", level=1).inner_text() == "菁城街道：业主大会"
    text = phone.locator("main").inner_text()
    assert "2026年第一次业主大会会议" in text and "参与表决：业主" in text
    assert_phone_friendly(phone)
    assert_accessible_basics(phone)


def test_the_demo_code_table_counts_down_and_refreshes(demo, phone) -> None:
    page = phone
    admin = demo.staff["admin"]
    page.goto(demo.url + "/staff/sign-in")
    page.get_by_label("用户名").fill(admin.username)
    cell = page.locator("section.demo-codes tr", has_text=admin.username).locator(
        "[data-seconds-left]")
    start = int(cell.get_attribute("data-seconds-left"))
    page.wait_for_function(
        "n => Number(document.querySelector('[data-seconds-left]').dataset.secondsLeft) < n",
        arg=min(start, 30))
    assert re.fullmatch(r"\d+ 秒", cell.inner_text().strip())
    # make the codes expire now: the table is fetched again and shows current codes
    page.evaluate("""() => { for (const c of document.querySelectorAll('[data-seconds-left]'))
        c.dataset.secondsLeft = '1';
      for (const c of document.querySelectorAll('section.demo-codes td.code'))
        c.textContent = 'stale'; }""")
    # A code the server does not accept yet is shown as "wait": up to one 30 s step.
    page.wait_for_function("""() => [...document.querySelectorAll('section.demo-codes td.code')]
        .every(c => /^\\d{6}$/.test(c.textContent.trim()))""", timeout=45_000)
    code = _hint(page, admin.username)
    assert pyotp.TOTP(admin.totp_secret).verify(code, valid_window=1)
    assert page.get_by_label("用户名").input_value() == admin.username  # the form is kept
