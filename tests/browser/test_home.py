"""The demo's start page on a phone: Chinese, phone-friendly, and accessible.

Accessibility basics checked from what Chromium actually renders: every input
labelled, headings in order, a visible focus ring that follows the reading
order when tabbing, and text contrast of at least 4.5:1 (3:1 for large
text, WCAG 2.1 SC 1.4.3) computed from the page's computed styles.
"""

from __future__ import annotations

from tests.browser.conftest import assert_phone_friendly

HEADINGS = """() => Array.from(document.querySelectorAll('h1, h2, h3, h4, h5, h6'))
    .filter(h => h.getClientRects().length > 0).map(h => Number(h.tagName[1]))"""

# Foreground and effective background of every visible element that holds text directly.
CONTRAST = """() => {
  const rgba = s => { const m = s.match(/[\\d.]+/g).map(Number);
                      return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
  const lum = ([r, g, b]) => { const f = c => { c /= 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const over = (top, bottom) => { const a = top[3];
      return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]); };
  const background = el => { const layers = [];
      for (let e = el; e; e = e.parentElement) {
        const c = rgba(getComputedStyle(e).backgroundColor);
        if (c[3] > 0) layers.push(c);
        if (c[3] >= 1) break; }
      return layers.reverse().reduce((acc, c) => over(c, acc), [255, 255, 255, 1]); };
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const text = Array.from(el.childNodes).filter(n => n.nodeType === 3)
      .map(n => n.textContent.trim()).join('');
    if (!text || el.getClientRects().length === 0) continue;
    const st = getComputedStyle(el);
    if (st.visibility === 'hidden' || Number(st.opacity) === 0) continue;
    const r = el.getBoundingClientRect();
    if (r.right < 0 || r.bottom < 0 || r.left < -1000) continue;  // off-screen (skip link)
    const bg = background(el), fg = over(rgba(st.color), bg);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const size = parseFloat(st.fontSize), bold = Number(st.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    out.push({text: text.slice(0, 40), ratio: (hi + 0.05) / (lo + 0.05), need: large ? 3 : 4.5});
  }
  return out; }"""

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


def assert_accessible_basics(page) -> None:
    """Headings in order and sufficient contrast (labels: see assert_phone_friendly)."""
    levels = page.evaluate(HEADINGS)
    assert levels and levels[0] == 1 and levels.count(1) == 1, levels
    jumps = [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]
    assert jumps == [], f"heading levels skip: {levels}"
    poor = [c for c in page.evaluate(CONTRAST) if c["ratio"] < c["need"]]
    assert poor == [], f"text below the contrast minimum: {poor}"
    positive = page.evaluate("() => Array.from(document.querySelectorAll('[tabindex]'))"
                             ".filter(e => e.tabIndex > 0).length")
    assert positive == 0, "a positive tabindex breaks the reading order"


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
