"""The demo's start page on a phone: Chinese, phone-friendly, and accessible.

Accessibility basics checked from what Chromium actually renders: every input
labelled, headings in order, a visible focus ring that follows the reading
order when tabbing, and text contrast of at least 4.5:1 (3:1 for large
text, WCAG 2.1 SC 1.4.3) computed from the page's computed styles.
"""

from __future__ import annotations

from tests.support.page_checks import assert_accessible_basics, assert_phone_friendly

FOCUSABLE = """() => Array.from(document.querySelectorAll(
    'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select, '
    + 'textarea, [tabindex]'))
    .filter(e => e.tabIndex >= 0 && (e.getClientRects().length > 0 || e.classList.contains('skip')))
    .map(e => e.outerHTML.slice(0, 80))"""

FOCUSED = """() => { const e = document.activeElement; const st = getComputedStyle(e);
    const r = e.getBoundingClientRect();
    return {html: e.outerHTML.slice(0, 80), outline: st.outlineStyle !== 'none'
            && parseFloat(st.outlineWidth) >= 2, visible: r.width > 0 && r.height > 0
            && r.bottom > 0 && r.right > 0 && r.left < window.innerWidth}; }"""


def assert_focus_follows_reading_order(page) -> list[str]:
    """Tab (from a freshly loaded page) reaches every control in document order, each with a
    visible focus ring; returns the elements in the order they were focused."""
    expected = page.evaluate(FOCUSABLE)
    seen = []
    for _ in expected:
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        assert focused["outline"], f"no visible focus ring on {focused['html']}"
        assert focused["visible"], f"focused element is off-screen: {focused['html']}"
        seen.append(focused["html"])
    assert seen == expected
    return seen


def test_home_on_a_phone(demo, phone) -> None:
    phone.goto(demo.url + "/")
    assert phone.locator("html").get_attribute("lang") == "zh-CN"
    assert "业主大会电子投票" in phone.locator("h1").inner_text()
    viewport = phone.locator('meta[name="viewport"]').get_attribute("content")
    assert viewport.startswith("width=device-width")
    assert_phone_friendly(phone)


def test_home_accessibility_basics(demo, phone) -> None:
    phone.goto(demo.url + "/")
    assert_accessible_basics(phone)
    order = assert_focus_follows_reading_order(phone)
    assert 'href="#main"' in order[0]  # the first stop is the skip link to the content
    assert len(order) >= 5


def test_language_switch_on_a_phone(demo, phone) -> None:
    phone.goto(demo.url + "/")
    phone.get_by_role("link", name="English").click()
    assert "Owners' assembly e-voting" in phone.locator("h1").inner_text()
    phone.get_by_role("link", name="中文").click()
    assert "业主大会电子投票" in phone.locator("h1").inner_text()


def test_record_pages_meet_the_same_basics(demo, phone) -> None:
    phone.goto(demo.url + "/audit/")
    assert_accessible_basics(phone)
    phone.goto(demo.url + "/staff/sign-in")
    assert_accessible_basics(phone)
    assert_focus_follows_reading_order(phone)
