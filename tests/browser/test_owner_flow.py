"""The owner's whole vote in Chromium, at phone size and at desktop size.

From the assembly page (the URL the notice's QR code encodes) through identity
verification (the demo shows the SMS on the page), the ballot, the summary,
signing in the browser, the receipt and "check my ballot" (proofs verified by
the page's own script), then changing the vote.  Tests do not depend on order:
each uses its own owner, and a ballot page that says the owner already voted
is simply the "change my vote" path.
"""

from __future__ import annotations

import json
import re
import urllib.request

from tests.support.demo_pages import another_owner, check_in_browser, verify
from tests.support.page_checks import assert_phone_friendly

TRACKER = re.compile(r"^[A-Z2-7]{4}(-[A-Z2-7]{4}){4}$")


def open_assembly(demo) -> int:
    with urllib.request.urlopen(demo.url + "/api/v1/assemblies") as r:
        rows = json.load(r)["assemblies"]
    # the open-ballot one: the demo has a secret assembly open for voting too
    return next(a["id"] for a in rows if a["status"] == "open" and a["ballot_secrecy"] == "open")


def vote(page, first: str, second: str) -> str:
    """Choose on both items, check the summary, sign; returns the receipt's tracker code."""
    labels = {"agree": "同意", "oppose": "反对", "abstain": "弃权"}
    page.locator(f'fieldset[data-item="1"] label.choice-{first}').click()
    page.locator(f'fieldset[data-item="2"] label.choice-{second}').click()
    assert page.locator(f'fieldset[data-item="1"] input[value="{first}"]').is_checked()
    page.click("#to-confirm")
    summary = page.locator("#confirm [data-summary]")
    summary.wait_for()
    assert page.locator("#choose").is_hidden()
    assert page.locator('#steps li[aria-current="step"]').inner_text().strip().endswith("确认")
    dds = summary.locator("dd").all_inner_texts()
    assert dds == [labels[first], labels[second]]
    assert_phone_friendly(page)
    page.click("#sign")
    page.wait_for_url(re.compile(r"/a/\d+/receipt/"))
    tracker = page.locator("#tracker").inner_text().strip()
    assert TRACKER.match(tracker)
    # five groups, each on one line: the code breaks between groups only
    lines = page.evaluate("Array.from(document.querySelectorAll('#tracker .tg'))"
                          ".map(g => g.getClientRects().length)")
    assert lines == [1] * 5, lines
    return tracker


def focus_order(page) -> list[dict]:
    """Tab through the page; the focused controls with their position on the page."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    seen = []
    for _ in range(60):
        page.keyboard.press("Tab")
        info = page.evaluate("""() => { const e = document.activeElement;
            const r = e.getBoundingClientRect();
            return {tag: e.tagName, id: e.id, name: e.name || '', type: e.type || '',
                    top: Math.round(r.top + window.scrollY), inMain: !!e.closest('main')}; }""")
        if info["tag"] == "BODY" or (seen and info == seen[0]):
            break
        seen.append(info)
    return seen


def assert_keyboard_order(page) -> None:
    stops = [s for s in focus_order(page) if s["inMain"]]
    names = [s["name"] or s["id"] for s in stops]
    for wanted in ("item-1", "item-2", "to-confirm"):
        assert wanted in names, f"Tab never reaches {wanted}: {names}"
    assert names.index("item-1") < names.index("item-2") < names.index("to-confirm")
    tops = [s["top"] for s in stops]
    assert tops == sorted(tops), f"focus jumps back up the page: {stops}"


CONTRAST_JS = """(sel) => Array.from(document.querySelectorAll(sel)).filter(e => e.offsetParent)
  .slice(0, 3).map(e => {
    const rgba = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
    let fg = rgba(getComputedStyle(e).color), bg = null, n = e;
    while (n && !bg) { const c = rgba(getComputedStyle(n).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) bg = c; n = n.parentElement; }
    return {fg, bg: bg || [255, 255, 255], text: e.textContent.trim().slice(0, 30)}; })"""


def luminance(rgb) -> float:
    def channel(v: float) -> float:
        v = v / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def assert_contrast(page, selectors: list[str]) -> None:
    for sel in selectors:
        found = page.evaluate(CONTRAST_JS, sel)
        assert found, f"nothing visible matches {sel}"
        for el in found:
            a, b = sorted((luminance(el["fg"]), luminance(el["bg"])), reverse=True)
            ratio = (a + 0.05) / (b + 0.05)
            assert ratio >= 4.5, f"{sel} {el['text']!r}: contrast {ratio:.2f} < 4.5"


def test_owner_votes_checks_and_changes_the_vote_on_a_phone(demo, phone) -> None:
    aid = open_assembly(demo)
    phone.goto(f"{demo.url}/a/{aid}/notice")
    scanned = phone.locator("figure.qr a:has(svg)").get_attribute("href")
    assert f"/a/{aid}#log-key=" in scanned
    phone.goto(scanned)  # the notice's QR code: this phone keeps the notice's ledger key
    assert "第二次业主大会会议" in phone.locator("h1").inner_text()
    assert phone.locator("svg.gauge").count() >= 4  # area and owners, per item
    assert phone.get_by_text("特别事项 · 四分之三").count() == 1
    assert_phone_friendly(phone)
    assert_contrast(phone, ["main p", "#vote-now", "a.button.secondary", ".badge.bad"])
    phone.click("#vote-now")
    verify(phone, demo.owner)

    assert_phone_friendly(phone)
    assert_keyboard_order(phone)
    assert_contrast(phone, ["main p", "label.choice span", "#to-confirm", "legend"])
    tracker = vote(phone, "agree", "oppose")
    assert_phone_friendly(phone)
    assert phone.locator(".qr svg").count() == 1
    assert "投票成功" in phone.locator("h1").inner_text()
    check_in_browser(phone)

    # Change the vote on item 1: the new ballot counts, the old one is replaced there.
    phone.goto(f"{demo.url}/a/{aid}/receipt/{tracker}")
    phone.click("#change-link")
    phone.wait_for_url(re.compile(r"/a/\d+/vote"))
    assert phone.get_by_text("您已经投过票").count() == 1
    assert phone.locator(".now-vote").first.inner_text().endswith("同意")
    new_tracker = vote(phone, "oppose", "oppose")
    assert new_tracker != tracker
    check_in_browser(phone)
    phone.goto(f"{demo.url}/a/{aid}/check/{tracker}")
    phone.wait_for_selector('[data-outcome="ok"]:not([hidden])')
    assert "以您后来的选票为准" in phone.locator("[data-result]").inner_text()

    # Once voted, the assembly page leads to the ballot and to changing it, not to voting.
    phone.goto(f"{demo.url}/a/{aid}")
    assert phone.locator("#vote-now").count() == 0
    mine = phone.locator("[data-my-ballot]")
    assert mine.inner_text() == "查看我的选票" and "big" in mine.get_attribute("class")
    assert phone.locator("[data-change-vote]").inner_text() == "我要改票"
    assert_phone_friendly(phone)
    mine.click()
    phone.wait_for_url(re.compile(rf"/a/{aid}/receipt/{new_tracker}$"))

    # The announced assembly: the result where the owner looks, and a ballot page that only
    # shows what was cast.
    closed = announced_assembly(demo)
    phone.goto(f"{demo.url}/a/{closed}")
    result = phone.locator("#result")
    assert "表决结果" in result.inner_text() and phone.locator("svg.gauge").count() == 0
    assert result.locator(".badge").count() >= 2  # passed or not, per item
    assert "位业主" in result.inner_text() and "平方米" in result.inner_text()
    assert phone.locator("#announcement-link").get_attribute("href") == (
        f"/a/{closed}/announcement")
    assert phone.locator("#record-link").get_attribute("href") == f"/audit/assemblies/{closed}"
    assert phone.locator("#vote-now").count() == 0
    assert_phone_friendly(phone)
    phone.goto(f"{demo.url}/a/{closed}/vote")
    assert "已于" in phone.locator("#not-open").inner_text()
    assert phone.locator("main input:not([type=hidden]), #to-confirm, #sign").count() == 0
    assert_phone_friendly(phone)


def announced_assembly(demo) -> int:
    with urllib.request.urlopen(demo.url + "/api/v1/assemblies") as r:
        rows = json.load(r)["assemblies"]
    # the demo's open-ballot one: the secret by-election is announced too
    return next(a["id"] for a in rows
                if a["status"] == "announced" and a["ballot_secrecy"] == "open")


def test_the_verify_form_marks_the_wrong_field(demo, phone) -> None:
    aid = open_assembly(demo)
    phone.goto(f"{demo.url}/a/{aid}/verify")
    phone.wait_for_selector("#form-details")
    phone.get_by_label("证件号码").fill("350881199001011230")  # wrong check digit
    phone.click("#form-details button[type=submit]")
    name = phone.locator("#name")
    assert name.get_attribute("aria-invalid") == "true"
    assert phone.locator("#name-error").inner_text() == "请填写此项。"
    assert name.get_attribute("aria-describedby") == "name-error"

    phone.get_by_label("姓名").fill("林某某")
    phone.get_by_label("不动产权证号").fill("闽(2024)漳平市不动产权第0000001号")
    phone.click("#form-details button[type=submit]")
    phone.wait_for_selector("#id_number-error")
    assert name.get_attribute("aria-invalid") is None  # corrected, no longer marked
    number = phone.locator("#id_number")
    assert number.get_attribute("aria-invalid") == "true"
    assert "证件号码" in phone.locator("#id_number-error").inner_text()
    assert phone.locator("#form-details [data-error]").is_hidden()
    assert_phone_friendly(phone)
    # the refusal (422) is what this test asked for, not a fault of the page
    phone.console_errors[:] = [e for e in phone.console_errors if "422" not in e]


def test_owner_votes_at_desktop_size_and_a_wrong_proof_fails_visibly(demo, desktop) -> None:
    aid = open_assembly(demo)
    owner = another_owner(demo, aid)
    desktop.goto(f"{demo.url}/a/{aid}/verify")
    verify(desktop, owner)
    assert_keyboard_order(desktop)
    tracker = vote(desktop, "abstain", "agree")
    check_in_browser(desktop, pinned=False)  # this browser never scanned the notice

    def tamper(route) -> None:
        answer = route.fetch().json()
        proof = answer["inclusion"]
        proof[0] = ("0" if proof[0][0] != "0" else "1") + proof[0][1:]
        route.fulfill(json=answer)

    desktop.route(re.compile(r"/api/v1/assemblies/\d+/receipts/"), tamper)
    desktop.goto(f"{demo.url}/a/{aid}/check/{tracker}")
    desktop.wait_for_selector('[data-outcome="fail"]:not([hidden])')
    assert desktop.locator('[data-check="inclusion"]').get_attribute("class") == "check-fail"
    assert desktop.locator('[data-check="signature"]').get_attribute("class") == "check-ok"
    assert desktop.locator('[data-outcome="ok"]').is_hidden()
    assert "查验未通过" in desktop.locator('[data-outcome="fail"]').inner_text()


def test_a_ledger_key_other_than_the_notices_fails_the_check_visibly(demo, desktop) -> None:
    """The phone scanned a notice whose ledger key is not the one the server uses: the check
    says so (账本公钥与通知上公布的一致 fails) and warns, whatever else passes."""
    from urllib.parse import quote

    from ledger.keys import generate

    aid = open_assembly(demo)
    owner = another_owner(demo, aid)
    desktop.goto(f"{demo.url}/a/{aid}/verify")
    verify(desktop, owner)
    tracker = vote(desktop, "agree", "agree")
    other = generate("ownervote.example/log").verifier.vkey
    desktop.goto(f"{demo.url}/a/{aid}#log-key={quote(other, safe=':/')}")
    desktop.goto(f"{demo.url}/a/{aid}/check/{tracker}")
    desktop.wait_for_selector('[data-outcome="fail"]:not([hidden])')
    step = desktop.locator('[data-check="notice"]')
    assert step.get_attribute("class") == "check-fail"
    assert "账本公钥与通知上公布的一致" in step.inner_text()
    assert other.split("+")[1] in step.inner_text() and "不一致" in step.inner_text()
    assert desktop.locator("[data-key-warning]").is_visible()
    assert "账本公钥与通知上印的不一致" in desktop.locator("[data-key-warning]").inner_text()
