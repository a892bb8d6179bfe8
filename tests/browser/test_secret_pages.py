"""The pages of secret ballots in Chromium at phone size (docs/secret-ballots.md §9, §11).

* an owner of a secret assembly builds a ballot, checks it instead of casting it (its
  randomness revealed; Python and the auditor page open it to the choices made; nothing is
  cast), then casts a fresh one: the ledger holds its ciphertexts and no clear choice;
* a committee member's browser encrypts a paper ballot (an over-marked election entered
  as invalid): no clear choice reaches the server or the ledger;
* the notice shows the setting, the trustees and the threshold;
* the public auditor page ``/audit/challenge`` opens a challenged ballot (one Python built,
  with its revealed randomness) in the browser and shows the choices it encrypts; it
  warns when the phone showed other choices, when the randomness does not open the
  ballot, and when a proof fails; the page is phone friendly in Chinese and English.
"""

from __future__ import annotations

import copy
import json
import re
import sqlite3
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.secret.audit import audit_challenge, fingerprint, reveal_to_json
from ledger.secret.ballot import ItemShape, encrypt_ballot, verify_ballot
from ledger.secret.elgamal import keygen
from ledger.secret.errors import AuditMismatch
from ledger.secret.group import decode_point
from tests.support.demo_pages import (
    COMMITTEE_TABS,
    Demo,
    another_owner,
    check_in_browser,
    parse_init_demo,
    unvoted_flats,
    verify,
)
from tests.support.demo_pages import problems as tap_problems
from tests.support.demo_pages import sign_in as tap_sign_in
from tests.support.page_checks import assert_phone_friendly
from tests.support.servers import Server
from voting.heads import head_id_for
from web.vendor import NOBLE_PATH, NOBLE_SRI

ROOT = Path(__file__).resolve().parents[2]

ORIGIN = "ownervote.test/assembly/7"
ITEMS = [{"key": "1", "kind": "motion"},
         {"key": "2", "kind": "election", "seats": 2, "candidates": ["张伟", "李娜", "王芳"]}]
LAYOUT = {"1": ItemShape("motion"), "2": ItemShape("election", candidates=3, seats=2)}


def challenged(choices: dict, shown: dict | None = None, assembly: int | None = None) -> dict:
    """What the phone reveals for a ballot it checks instead of casting (owner-ballot.js);
    with its own key, so of no assembly of the demo (``assembly``: which one it claims)."""
    key = keygen()
    ballot, randomness = encrypt_ballot(key.public, ORIGIN, "H-3-1201", 4, LAYOUT, choices)
    encrypted = ballot.to_json()
    names = ITEMS[1]["candidates"]
    return {"v": 1, "assembly": assembly, "origin": ORIGIN, "head": "H-3-1201", "seq": 4,
            "key": key.public.hex(), "items": ITEMS, "fingerprint": fingerprint(encrypted),
            "choices": shown if shown is not None else {
                k: ([names[i] for i in v] if isinstance(v, list) else v)
                for k, v in choices.items()},
            "encrypted": encrypted, "reveal": reveal_to_json(randomness)}


def check(page, demo, data: dict) -> dict:
    page.goto(demo.url + "/audit/challenge")
    page.fill("#challenge-input", json.dumps(data))
    page.click("#run-check")
    page.wait_for_selector("#challenge-result:not([hidden])")
    page.wait_for_selector("#challenge-result[data-key]")
    return {"result": page.locator("#challenge-result").get_attribute("data-result"),
            "key": page.locator("#challenge-result").get_attribute("data-key"),
            "outcome": page.locator("[data-outcome]").inner_text(),
            "choices": page.locator("[data-choices] dd").all_inner_texts()}


def test_the_auditor_page_shows_what_a_challenged_ballot_holds(demo, phone) -> None:
    data = challenged({"1": "oppose", "2": [0, 2]})
    got = check(phone, demo, data)
    assert got["result"] == "ok", got
    assert got["choices"] == ["反对", "张伟、王芳"]
    assert phone.locator("[data-fp]").inner_text().replace(" ", "") == data["fingerprint"][:16]
    assert_phone_friendly(phone)

    blank = check(phone, demo, challenged({"1": "abstain", "2": []}))
    assert blank["result"] == "ok" and blank["choices"] == ["弃权", "弃权（未选任何候选人）"], blank


def test_the_auditor_page_warns_when_the_ballot_is_not_what_was_shown(demo, phone) -> None:
    lying = challenged({"1": "agree", "2": [1]}, shown={"1": "oppose", "2": ["李娜"]})
    got = check(phone, demo, lying)
    assert got["result"] == "bad" and "不是手机上显示的选择" in got["outcome"], got
    assert got["choices"] == ["同意", "李娜"]  # what the ballot really holds

    data = challenged({"1": "agree", "2": [1]})
    wrong_r = copy.deepcopy(data)
    wrong_r["reveal"]["1"][0], wrong_r["reveal"]["1"][1] = (wrong_r["reveal"]["1"][1],
                                                            wrong_r["reveal"]["1"][0])
    got = check(phone, demo, wrong_r)
    assert got["result"] == "bad" and "encrypted.1.options[0].a" in got["outcome"], got
    assert got["choices"] == []

    moved = copy.deepcopy(data)
    moved["seq"] = 5  # the proofs are bound to the ballot number
    got = check(phone, demo, moved)
    assert got["result"] == "bad" and "bad_option_proof" in got["outcome"], got


def test_the_auditor_page_takes_the_ballot_from_its_fragment(demo, phone) -> None:
    import base64
    data = challenged({"1": "agree", "2": [1, 2]})
    fragment = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    phone.goto(demo.url + "/audit/challenge#" + fragment)
    phone.wait_for_selector("#challenge-result:not([hidden])")
    assert phone.locator("#challenge-result").get_attribute("data-result") == "ok"
    assert phone.locator("[data-choices] dd").all_inner_texts() == ["同意", "李娜、王芳"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_auditor_page_is_phone_friendly(demo, phone, lang) -> None:
    phone.goto(f"{demo.url}/lang/{lang}")
    phone.goto(demo.url + "/audit/challenge")
    phone.click("#run-check")
    phone.wait_for_selector("#form-challenge [data-error]:not([hidden])")
    assert_phone_friendly(phone)


# -- an owner's secret ballot, end to end ------------------------------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """This module's own demo server (it overrides the session's ``demo`` here): the secret
    assembly it adds is open for voting, and the other modules pick "the open assembly"
    of their demo."""
    instance = tmp_path_factory.mktemp("secret-demo")
    server = Server(instance_dir=instance,
                    database_url=f"sqlite:///{instance / 'ownervote.sqlite3'}",
                    extra_env={"OWNERVOTE_DEMO": "1"})
    staff, owner = parse_init_demo(server.cli("init-demo").stdout)
    server.start()
    try:
        yield Demo(server, staff, owner)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def secret(demo) -> dict:
    """An open secret assembly in the demo's community (tests/support/secret_demo.py)."""
    out = subprocess.run([sys.executable, "-m", "tests.support.secret_demo"],
                         env=demo.server.env, cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def ledger_rows(demo, assembly_id: int, head: str) -> list[tuple[str, bytes]]:
    db = sqlite3.connect(f"file:{demo.server.instance_dir / 'ownervote.sqlite3'}?mode=ro",
                         uri=True)
    rows = db.execute("SELECT kind, body FROM ledger_entry WHERE assembly_id = ? AND "
                      "head_id = ? AND kind IN ('ballot', 'paper_ballot') "
                      "ORDER BY \"index\"", (assembly_id, head)).fetchall()
    db.close()
    return [(k, bytes(b)) for k, b in rows]


def choose(page) -> None:
    page.locator('fieldset[data-item="1"] label.choice-agree').click()
    page.locator('fieldset[data-item="2"] label.choice', has_text="郑明").click()
    page.locator('fieldset[data-item="2"] label.choice', has_text="邓强").click()
    page.click("#to-confirm")
    page.wait_for_selector("#sign:not([disabled])")


def test_an_owner_checks_then_casts_a_secret_ballot(demo, phone, browser, secret) -> None:
    aid = secret["id"]
    owner = another_owner(demo, aid)
    phone.goto(f"{demo.url}/a/{aid}/verify")
    verify(phone, owner)
    assert phone.locator("[data-secrecy]").first.get_attribute("data-secrecy") == "secret"
    assert "任何人（包括业委会和平台）都看不到单张选票的内容" in phone.locator("main").inner_text()
    assert phone.locator(f'script[src$="{NOBLE_PATH}"]').get_attribute("integrity") == NOBLE_SRI
    assert_phone_friendly(phone)
    head = phone.locator("#ballot").get_attribute("data-head")

    # build, then check instead of casting: the ballot's randomness is revealed
    choose(phone)
    first_fp = phone.locator("[data-fingerprint]").inner_text()
    assert len(first_fp.replace(" ", "")) == 16
    assert_phone_friendly(phone)
    phone.click("#challenge")
    phone.wait_for_selector("#challenged:not([hidden])")
    assert_phone_friendly(phone)
    challenge = json.loads(phone.locator("[data-challenge-text]").input_value())
    assert challenge["fingerprint"][:16] == first_fp.replace(" ", "")
    assert challenge["choices"] == {"1": "agree", "2": ["邓强", "郑明"]}
    assert challenge["key"] == secret["key"] and challenge["origin"] == secret["origin"]
    # Python opens it to what the owner chose (the audit of ledger/secret/audit.py)
    layout = {"1": ItemShape("motion"), "2": ItemShape("election", candidates=3, seats=2)}
    assert audit_challenge(decode_point(secret["key"], "key"), challenge["origin"], head,
                           challenge["seq"], layout, challenge["encrypted"],
                           challenge["reveal"]) == {"1": "agree", "2": [0, 2]}
    assert ledger_rows(demo, aid, head) == []  # a checked ballot is never cast

    # the public auditor page, on another device, shows the same choices
    other = browser.new_context(locale="zh-CN")
    try:
        page = other.new_page()
        got = check(page, demo, challenge)
        assert got["result"] == "ok" and got["choices"] == ["同意", "郑明、邓强"], got
        assert got["key"] == "ok"  # the assembly's published election key
    finally:
        other.close()

    # a fresh ballot (fresh randomness, another fingerprint), then cast
    phone.click("#fresh")
    phone.wait_for_selector("#sign:not([disabled])")
    second_fp = phone.locator("[data-fingerprint]").inner_text()
    assert second_fp != first_fp
    phone.click("#sign")
    phone.wait_for_url(re.compile(r"/a/\d+/receipt/"))
    assert phone.locator("[data-secrecy]").first.get_attribute("data-secrecy") == "secret"
    assert "这张选票是加密的" in phone.locator("main").inner_text()
    own = phone.locator("[data-own-choices] dd")  # kept by this phone only
    own.first.wait_for()
    assert own.all_inner_texts() == ["同意", "邓强、郑明"]
    assert_phone_friendly(phone)
    check_in_browser(phone, pinned=False)  # "check my ballot" works as for an open ballot

    rows = ledger_rows(demo, aid, head)
    assert [k for k, _ in rows] == ["ballot"], rows
    body = rows[0][1].decode()
    for clear in ("choices", "agree", "oppose", "abstain", "郑明", "邓强", "何静"):
        assert clear not in body, clear
    payload = json.loads(body)["body"]["payload"]
    assert set(payload) == {"origin", "head", "key", "seq", "nonce", "encrypted"}
    assert payload["seq"] == challenge["seq"]
    assert fingerprint(payload["encrypted"])[:16] == second_fp.replace(" ", "")
    # the revealed randomness does not open the cast ballot: it was built afresh
    with pytest.raises(AuditMismatch):
        audit_challenge(decode_point(secret["key"], "key"), payload["origin"], head,
                        payload["seq"], layout, payload["encrypted"], challenge["reveal"])
    # the ballot page again: the vote is there, its choice is not (the server has none)
    phone.goto(f"{demo.url}/a/{aid}/vote")
    now_votes = phone.locator(".now-vote").all_inner_texts()
    assert now_votes == ["您目前的投票： 已投票（选择保密）"] * 2, now_votes
    # participation counts the sealed ballot (the assembly page's gauges)
    response = phone.goto(f"{demo.url}/a/{aid}")
    assert response is not None and response.status == 200


def test_the_secret_ballot_pages_are_phone_friendly_in_english(demo, phone, secret) -> None:
    aid = secret["id"]
    phone.goto(f"{demo.url}/a/{aid}/verify")
    verify(phone, another_owner(demo, aid))
    phone.goto(f"{demo.url}/lang/en")
    phone.goto(f"{demo.url}/a/{aid}/vote")
    assert "Secret ballot" in phone.locator("[data-secrecy]").first.inner_text()
    assert_phone_friendly(phone)
    choose(phone)
    assert_phone_friendly(phone)
    phone.click("#challenge")
    phone.wait_for_selector("#challenged:not([hidden])")
    assert_phone_friendly(phone)
    phone.click("#fresh")  # back to the summary with a new ballot; nothing is cast
    phone.wait_for_selector("#sign:not([disabled])")
    assert ledger_rows(demo, aid, phone.locator("#ballot").get_attribute("data-head")) == []


def test_a_ballot_renumbered_before_casting_shows_its_new_fingerprint(demo, phone,
                                                                       secret) -> None:
    """Another ballot of the home is recorded between the fingerprint and the tap: the phone
    builds the ballot again for the next number and asks again; it never casts a ballot
    whose fingerprint it did not show first."""
    aid = secret["id"]
    phone.goto(f"{demo.url}/a/{aid}/verify")
    verify(phone, another_owner(demo, aid))
    head = phone.locator("#ballot").get_attribute("data-head")
    choose(phone)
    first = phone.locator("[data-fingerprint]").inner_text()
    other = phone.context.new_page()  # the same owner, in another tab, votes meanwhile
    other.goto(phone.url)
    choose(other)
    other.click("#sign")
    other.wait_for_url(re.compile(r"/a/\d+/receipt/"))
    other.close()
    phone.click("#sign")
    error = phone.locator("#confirm [data-error]")
    error.wait_for()
    assert "重新制作" in error.inner_text()
    second = phone.locator("[data-fingerprint]").inner_text()
    assert second != first
    phone.click("#sign")
    phone.wait_for_url(re.compile(r"/a/\d+/receipt/"))
    rows = ledger_rows(demo, aid, head)
    assert [k for k, _ in rows] == ["ballot", "ballot"]
    meanwhile, cast = (json.loads(body)["body"]["payload"] for _, body in rows)
    assert cast["seq"] == meanwhile["seq"] + 1
    assert fingerprint(cast["encrypted"])[:16] == second.replace(" ", "")


def test_the_auditor_page_warns_of_a_key_the_assembly_did_not_publish(demo, phone,
                                                                       secret) -> None:
    got = check(phone, demo, challenged({"1": "agree", "2": [1]}, assembly=secret["id"]))
    assert got["key"] == "bad" and got["result"] == "bad", got
    assert "不一致" in phone.locator("[data-key-check]").inner_text()
    assert got["choices"] == ["同意", "李娜"]  # it still opens: the key is the phone's


def test_the_notice_shows_the_trustees_and_threshold(demo, phone, secret) -> None:
    phone.goto(f"{demo.url}/a/{secret['id']}/notice")
    section = phone.locator("#ballot-secrecy")
    assert section.get_attribute("data-secrecy") == "secret"
    text = section.inner_text()
    assert "无记名投票" in text and "任意2位" in text
    assert section.locator("[data-trustees] dt").count() == 2
    assert section.locator("[data-election-key]").inner_text() == secret["key"]
    assert_phone_friendly(phone)
    with urllib.request.urlopen(demo.url + "/api/v1/assemblies") as r:
        rows = json.load(r)["assemblies"]
    open_id = next(a["id"] for a in rows if a["status"] == "open" and a["ballot_secrecy"] == "open")
    phone.goto(f"{demo.url}/a/{open_id}/notice")
    assert phone.locator("#ballot-secrecy").get_attribute("data-secrecy") == "open"
    with urllib.request.urlopen(f"{demo.url}/a/{secret['id']}/notice.pdf") as r:
        assert r.headers["Content-Type"] == "application/pdf"


def unvoted_unit(demo, assembly_id: int) -> tuple[str, str]:
    """A sole owner's flat with no ballot yet in the assembly: (building, unit) — the last
    (the owner tests take theirs from the front)."""
    row = unvoted_flats(demo, assembly_id)[-1]
    return row["building"], row["unit"]


def test_a_committee_member_encrypts_a_paper_ballot(demo, desktop, secret) -> None:
    aid = secret["id"]
    building, unit = unvoted_unit(demo, aid)
    page = desktop
    committee = demo.staff["committee"]
    page.goto(demo.url + "/staff/sign-in")
    page.fill("#username", committee.username)
    page.fill("#password", committee.password)
    page.fill("#code", committee.code())
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.goto(f"{demo.url}/committee/a/{aid}/paper")
    assert page.locator("[data-secrecy]").get_attribute("data-secrecy") == "secret"
    sent: list[bytes] = []
    page.on("request", lambda r: r.method == "POST" and "/paper/" in r.url
            and sent.append(r.post_data_buffer or b""))
    page.select_option("#building", building)
    page.fill("#unit", unit)
    page.check('input[name="item_1"][value="oppose"]')
    for name in ("郑明", "何静", "邓强"):  # over-marked: 3 ticked for 2 seats
        page.check(f'input[name="item_2"][value="{name}"]')
    page.set_input_files("#scan", files=[{"name": "sheet.png", "mimeType": "image/png",
                                         "buffer": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64}])
    page.locator("[data-sign-start]").click()
    page.locator(".sign-result.flash").wait_for()  # refused in the browser: mark it invalid
    assert "多于应选名额" in page.locator("[data-sign-result]").inner_text()
    assert sent == []
    page.check('input[name="item_2_invalid"]')
    page.locator("[data-sign-start]").click()
    page.locator("[data-sign-panel]:not([hidden])").wait_for()
    summary = page.locator("[data-sign-summary]").inner_text()
    assert f"{building}-{unit}" in summary and "反对" in summary and "无效" in summary, summary
    assert "服务器从未看到" in summary
    assert len(sent) == 2  # the head and its number, then the ciphertexts
    for body in sent:
        for clear in (b"item_1", b"item_2", b"oppose", "郑明".encode(), "何静".encode()):
            assert clear not in body, clear
    with page.expect_navigation():
        page.locator("[data-sign-confirm]").click()
    assert "纸质票已录入" in page.locator(".flash").first.inner_text()

    head = head_id_for([f"{building}-{unit}"])
    rows = ledger_rows(demo, aid, head)
    assert [k for k, _ in rows] == ["paper_ballot"]
    body = rows[0][1].decode()
    for clear in ("choices", "oppose", "郑明", "何静", "邓强", "invalid"):
        assert clear not in body, clear
    payload = json.loads(body)["body"]["payload"]
    assert "encrypted" in payload and "choices" not in payload
    layout = {"1": ItemShape("motion"), "2": ItemShape("election", candidates=3, seats=2,
                                                       paper=True)}
    ballot = verify_ballot(decode_point(secret["key"], "key"), payload["origin"], head,
                           payload["seq"], layout, payload["encrypted"])
    assert len(ballot.item("2").options) == 5  # three candidates, blank, invalid


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_secret_assemblys_pages_have_big_tap_targets(demo, phone, secret, lang) -> None:
    """The tap-target walk of tests/browser/test_tap_targets.py over the secret assembly."""
    aid = secret["id"]
    failed: list[str] = []
    phone.on("response", lambda r: r.status >= 500 and failed.append(f"{r.status} {r.url}"))
    phone.goto(f"{demo.url}/lang/{lang}")
    pages = [f"/a/{aid}", f"/a/{aid}/notice", f"/a/{aid}/check", f"/audit/assemblies/{aid}",
             "/audit/challenge"]
    found = [p for path in pages for p in tap_problems(phone, demo.url + path)]
    tap_sign_in(phone, demo)
    found += [p for tab in COMMITTEE_TABS
              for p in tap_problems(phone, f"{demo.url}/committee/a/{aid}{tab}")]
    phone.wait_for_timeout(1500)  # the dashboard's live figures are fetched after load
    assert failed == []
    assert found == [], "\n".join(found)
