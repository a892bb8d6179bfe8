"""What every page must be, checked on server-rendered HTML and in the browser.

On HTML text: no inline script (``INLINE_SCRIPT``), no style attribute
(``STYLE_ATTR``), and the POST forms (``POST_FORM``) to look for the CSRF token in.
In Chromium (a Playwright page): ``assert_phone_friendly`` (no sideways scrolling,
tap targets, labelled inputs), ``assert_tap_targets`` (every control and block link at
least 44×44 CSS px, links inside running sentences excepted) and
``assert_full_width_punctuation`` (no ASCII ". , : ; ? !" after Chinese text on a Chinese
page) and ``assert_accessible_basics`` (heading levels, contrast, no positive tabindex).
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


# Every visible control and link smaller than 44×44 CSS px (WCAG 2.5.5), as "tag text WxH".
# A radio button or checkbox is measured by its label (the label is what a finger taps); a
# link inside a running sentence (its parent holds words of its own) is excepted, and so is
# the off-screen skip link.
SMALL_TARGETS = """(minimum) => {
  const words = /[\\p{L}\\p{N}]/u;
  const inSentence = e => e.tagName === 'A' && e.parentElement && Array.from(
      e.parentElement.childNodes).some(n => n.nodeType === 3 && words.test(n.textContent));
  const out = [];
  for (const e of document.querySelectorAll(
      'a[href], button, input:not([type=hidden]), select, textarea, summary')) {
    if (e.getClientRects().length === 0 || getComputedStyle(e).visibility === 'hidden') continue;
    let r = e.getBoundingClientRect();
    if (r.right < 0 || r.bottom < 0) continue;  // the skip link, off-screen until focused
    if (inSentence(e)) continue;
    if (e.tagName === 'INPUT' && ['radio', 'checkbox'].includes(e.type) && e.labels
        && e.labels.length) r = e.labels[0].getBoundingClientRect();
    if (r.width < minimum - 0.5 || r.height < minimum - 0.5)
      out.push(`${e.tagName.toLowerCase()} ${(e.innerText || e.value || e.name || e.id || '')
        .trim().slice(0, 30)} ${Math.round(r.width)}x${Math.round(r.height)}`);
  }
  return out; }"""


# ASCII punctuation right after Chinese text (allowing a number between, as in "议题 1: "), in
# each text node of a Chinese page; code, commands and keys are left as they are.
ASCII_AFTER_CJK = """() => {
  const cjk = '\\u3001-\\u303f\\u3400-\\u4dbf\\u4e00-\\u9fff\\uff01-\\uff60';
  const bad = new RegExp('[' + cjk + '][\\\\d ]{0,4}[.,:;?!](?=\\\\s|$|[' + cjk + '])', 'g');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const out = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement.closest('pre, code, script, style, textarea, .mono')) continue;
    const text = n.textContent.replace(/\\s+/g, ' ');
    for (const m of text.matchAll(bad))
      out.push(text.slice(Math.max(0, m.index - 12), m.index + m[0].length + 8));
  }
  return out; }"""


def assert_full_width_punctuation(page) -> None:
    """On a Chinese page, Chinese text is punctuated full-width (。，：；？！)."""
    if page.evaluate("document.documentElement.lang") != "zh-CN":
        return
    found = page.evaluate(ASCII_AFTER_CJK)
    assert found == [], f"ASCII punctuation after Chinese text: {found}"


def assert_tap_targets(page, minimum: int = 44) -> None:
    """Every control and block link on the page is at least ``minimum``×``minimum`` CSS px."""
    small = page.evaluate(SMALL_TARGETS, minimum)
    assert small == [], f"tap targets under {minimum}×{minimum} px: {small}"


def assert_phone_friendly(page) -> None:
    """No sideways scrolling; every control and block link at least 44×44 px; full-width
    punctuation in Chinese; labelled inputs."""
    # measured once the stylesheets are in (under load the DOM can be ready well before)
    page.wait_for_load_state("load")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"
    assert_tap_targets(page)
    assert_full_width_punctuation(page)
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
