"""The live demo as the browser tests see it: its staff and owner (parsed from
``ownervote init-demo``), a fresh owner to verify, the verification and receipt-check
steps on the owner's pages, the committee's sign-in and the tap-target walk — shared by
tests/browser/test_owner_flow.py, test_tap_targets.py and test_secret_pages.py."""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from dataclasses import dataclass
from itertools import count

from identity.synthetic import demo_extract
from tests.support.page_checks import assert_phone_friendly
from tests.support.servers import Server
from tests.support.totp import fresh_code
from voting.heads import head_id_for

_numbers = count(13700000001)


@dataclass(frozen=True)
class DemoStaff:
    username: str
    password: str
    totp_secret: str

    def code(self) -> str:

        return fresh_code(self.totp_secret)


@dataclass
class Demo:
    server: Server
    staff: dict[str, DemoStaff]  # role -> account
    owner: dict[str, str]  # name, id_number, certificate_no, building, unit

    @property
    def url(self) -> str:
        return self.server.url


def parse_init_demo(stdout: str) -> tuple[dict[str, DemoStaff], dict[str, str]]:
    staff = {}
    for m in re.finditer(
        r"^\s+(committee|supervisor|auditor|admin)\s+(\S+)\s+(\S+)\s+TOTP secret (\S+)",
        stdout,
        re.M,
    ):
        staff[m.group(1)] = DemoStaff(m.group(2), m.group(3), m.group(4))
    m = re.search(r"name (\S+)\s+ID (\S+)\s+certificate (\S+)\n\s+unit (\S+) (\S+)", stdout)
    assert m, f"init-demo did not print the demo owner:\n{stdout}"
    owner = dict(
        zip(("name", "id_number", "certificate_no", "building", "unit"), m.groups(), strict=True)
    )
    return staff, owner


def unvoted_flats(demo, assembly_id: int) -> list[dict[str, str]]:
    """The demo extract's rows of sole owners of one flat (not the demo owner) whose home
    has no ballot yet in the assembly, in extract order."""
    db = sqlite3.connect(f"file:{demo.server.instance_dir / 'ownervote.sqlite3'}?mode=ro",
                         uri=True)
    voted = {h for (h,) in db.execute("SELECT DISTINCT head_id FROM ledger_entry WHERE "
                                      "assembly_id = ? AND head_id IS NOT NULL", (assembly_id,))}
    db.close()
    rows = demo_extract(2024)
    per_owner = Counter(row["id_number"] for row in rows)
    flats = [row for row in rows
             if row["status"] == "已登记" and row["co_ownership"] == "单独所有"
             and row["usage"] == "住宅" and row["id_type"] == "居民身份证"
             and per_owner[row["id_number"]] == 1 and row["owner_name"] != demo.owner["name"]
             and head_id_for([f"{row['building']}-{row['unit']}"]) not in voted]
    assert flats, "no unvoted sole owner in the demo extract"
    return flats


def another_owner(demo, assembly_id: int) -> dict[str, str]:
    """A sole owner of one flat, not the demo owner, whose home has no ballot yet."""
    row = unvoted_flats(demo, assembly_id)[0]
    return {"name": row["owner_name"], "id_number": row["id_number"],
            "certificate_no": row["certificate_no"]}


def verify(page, owner: dict[str, str]) -> None:
    page.wait_for_selector("#form-details")
    assert_phone_friendly(page)
    page.get_by_label("姓名").fill(owner["name"])
    page.get_by_label("证件号码").fill(owner["id_number"])
    page.get_by_label("不动产权证号").fill(owner["certificate_no"])
    page.click("#form-details button[type=submit]")
    page.wait_for_selector("#v-phone:not([hidden])")
    assert_phone_friendly(page)
    page.get_by_label("接收短信的手机号码").fill(str(next(_numbers)))
    page.click("#form-phone button[type=submit]")
    page.wait_for_selector("#v-code:not([hidden])")
    assert_phone_friendly(page)
    sms = page.locator("[data-sms-body]").inner_text()  # the demo shows the outbox
    code = re.search(r"验证码 (\d{6})", sms).group(1)
    page.get_by_label("6位验证码").fill(code)
    page.click("#form-code button[type=submit]")
    page.wait_for_url(re.compile(r"/a/\d+/vote"))


COMMITTEE_TABS = ("", "/dashboard", "/non-voters", "/paper", "/proxies", "/transfers",
                  "/ballots", "/results")


def sign_in(page, demo) -> None:
    committee = demo.staff["committee"]
    page.goto(demo.url + "/staff/sign-in")
    page.fill("#username", committee.username)
    page.fill("#password", committee.password)
    page.fill("#code", committee.code())
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def problems(page, url: str) -> list[str]:
    """What is wrong with the page at ``url`` (every page is walked before the test fails)."""
    page.goto(url)
    try:
        assert_phone_friendly(page)
    except AssertionError as exc:
        return [f"{url.split('//', 1)[1].split('/', 1)[1]}: {exc}"]
    return []


def check_in_browser(page, pinned: bool = True) -> None:
    """Check the ballot from its receipt: every step passes, the ledger key compared with
    the notice's when this phone scanned it (else that step is not checked)."""
    page.click("#check-link")
    page.wait_for_selector('[data-outcome]:not([hidden])')
    results = page.locator("[data-check]").evaluate_all(
        "els => Object.fromEntries(els.map(e => [e.dataset.check, e.className]))")
    expected = dict.fromkeys(results, "check-ok")  # incl. this phone's own ballot
    if not pinned:
        expected["notice"] = "check-skip"
    expected["witnesses"] = "check-skip"  # this demo server has no witness policy
    assert results == expected and len(results) == 9, results
    assert page.locator('[data-outcome="ok"]').is_visible()
    assert_phone_friendly(page)
