"""Browser fixtures: a live demo server and Debian's Chromium driven by Playwright.

One demo server (``ownervote init-demo`` then ``ownervote serve``, SQLite, two
workers, started by ``tests.support.servers``) per test process; tests that change
state create their own assemblies or use their own owners so they do not depend on
order.  Every test of this folder is marked ``browser`` (``pytest -m browser``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE
from tests.support.demo_pages import Demo, parse_init_demo
from tests.support.servers import Server

HERE = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    instance = tmp_path_factory.mktemp("demo-instance")
    server = Server(
        instance_dir=instance,
        database_url=f"sqlite:///{instance / 'ownervote.sqlite3'}",
        extra_env={"OWNERVOTE_DEMO": "1"},
    )
    out = server.cli("init-demo")
    staff, owner = parse_init_demo(out.stdout)
    server.start()
    try:
        yield Demo(server, staff, owner)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator:
    """The one Playwright of this worker: a second sync_playwright() in the same process
    fails ("Sync API inside the asyncio loop"), so tests that launch their own Chromium
    (other flags) launch it from this one."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"the browser tests need Chromium at {CHROMIUM}: run ./dev test, which "
            "installs Debian's chromium, or set OWNERVOTE_CHROMIUM",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright) -> Iterator:
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield b
    b.close()


class ConsoleWatch:
    """Collects console errors and uncaught page errors; a test fails if any appear."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))


def _page(browser, options: dict) -> Iterator:
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    watch = ConsoleWatch(page)
    page.console_errors = watch.errors  # type: ignore[attr-defined]
    yield page
    context.close()
    assert watch.errors == [], f"console errors: {watch.errors}"


@pytest.fixture
def phone(browser) -> Iterator:
    """A 390×844 phone (touch, mobile viewport) in Chinese."""
    yield from _page(browser, PHONE)


@pytest.fixture
def desktop(browser) -> Iterator:
    yield from _page(browser, DESKTOP)
