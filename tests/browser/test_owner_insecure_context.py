"""Opened over plain http on a LAN address, the owner pages say to open them over https.

A phone that opens ``http://192.168.x.y:5000/`` is not in a secure context, so WebCrypto is
missing and it cannot make its voting key; the page must name the address as the problem
(not blame the browser).  Chromium treats only loopback as secure over http, so this test
launches its own Chromium that resolves ``phone-lan.test`` to the demo server's loopback
address: the same server, reached through a non-loopback name.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, PHONE

LAN_NAME = "phone-lan.test"
BLAMES_THE_BROWSER = "请用手机自带浏览器打开链接"


@pytest.fixture
def lan_phone(demo, playwright) -> Iterator:
    host = urlsplit(demo.url).hostname
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True,
        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {LAN_NAME} {host}"])
    try:
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **PHONE)
        context.set_default_timeout(15_000)
        yield context.new_page()
    finally:
        browser.close()


def _lan_url(demo, path: str) -> str:
    port = urlsplit(demo.url).port
    return f"http://{LAN_NAME}:{port}{path}"


def test_over_http_on_a_lan_address_the_page_asks_for_https(demo, lan_phone) -> None:
    page = lan_phone
    page.goto(_lan_url(demo, "/a/2/verify"))
    assert page.evaluate("window.isSecureContext") is False
    warning = page.locator("[data-insecure-warning]")
    warning.wait_for(state="visible")
    text = warning.inner_text()
    assert "https://" in text and "未加密" in text, text
    assert BLAMES_THE_BROWSER not in text
    # the message the key step raises when it cannot make the key is the same
    raised = page.evaluate("ovapi.noCryptoMessage(document.getElementById('verify'))")
    assert raised == text and BLAMES_THE_BROWSER not in raised


def test_on_loopback_there_is_no_https_warning(demo, phone) -> None:
    phone.goto(demo.url + "/a/2/verify")
    assert phone.evaluate("window.isSecureContext") is True
    phone.wait_for_function("window.ovapi")
    assert phone.locator("[data-insecure-warning]").is_hidden()
