"""What every page must be, checked on server-rendered HTML and in the browser.

On HTML text: no inline script (``INLINE_SCRIPT``), no style attribute
(``STYLE_ATTR``), and the POST forms (``POST_FORM``) to look for the CSRF token in.
In Chromium (a Playwright page): ``assert_phone_friendly`` (no sideways scrolling,
controls at least 32 px high, labelled inputs) and ``assert_accessible_basics``
(heading levels, contrast, no positive tabindex).
"""

from __future__ import annotations

import re

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
POST_FORM = re.compile(r"<form\b[^>]*\bmethod=[\"']?post[^>]*>(.*?)</form>", re.I | re.S)
STYLE_ATTR = re.compile(r"<[^>]+\sstyle\s*=", re.I)

# -- in Chromium (a Playwright page) --------------------------------------------------------------

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


def assert_phone_friendly(page) -> None:
    """No sideways scrolling; every visible control at least 32 px high; labelled inputs."""
    # measured once the stylesheets are in (under load the DOM can be ready well before)
    page.wait_for_load_state("load")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"
    small = page.evaluate("""() => Array.from(document.querySelectorAll(
        'a, button, input:not([type=hidden]), select, textarea, [role=button]'))
        .filter(e => { const r = e.getBoundingClientRect();
            return r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0; })
        .filter(e => !(e.tagName === 'INPUT' && ['radio','checkbox'].includes(e.type)))
        .filter(e => e.getBoundingClientRect().height < 32)
        .map(e => e.outerHTML.slice(0, 120))""")
    assert small == [], f"controls under 32px high: {small}"
    unlabelled = page.evaluate("""() => Array.from(document.querySelectorAll(
        'input:not([type=hidden]):not([type=submit]), select, textarea'))
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
        .map(e => e.outerHTML.slice(0, 120))""")
    assert unlabelled == [], f"inputs without a label: {unlabelled}"


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
