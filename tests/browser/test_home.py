"""The demo's start page on a phone."""

from __future__ import annotations

from tests.browser.conftest import assert_phone_friendly


def test_home_on_a_phone(demo, phone) -> None:
    phone.goto(demo.url + "/")
    assert phone.locator("html").get_attribute("lang") == "zh-CN"
    assert "业主大会电子投票" in phone.locator("h1").inner_text()
    assert phone.locator('meta[name="viewport"]').get_attribute("content").startswith("width=device-width")
    assert_phone_friendly(phone)


def test_language_switch_on_a_phone(demo, phone) -> None:
    phone.goto(demo.url + "/")
    phone.get_by_role("link", name="English").click()
    assert "Owners' assembly e-voting" in phone.locator("h1").inner_text()
    phone.get_by_role("link", name="中文").click()
    assert "业主大会电子投票" in phone.locator("h1").inner_text()
