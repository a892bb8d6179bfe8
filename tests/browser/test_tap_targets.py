"""Every owner and committee page at phone size (390×844): no sideways scrolling, every
control and block link at least 44×44 CSS px (links inside running sentences excepted) and
full-width punctuation after Chinese text, in Chinese and in English (the English words are
longer, the Chinese ones narrower).  The public records' pages are walked too.

The owner's verified pages (verification steps, ballot, summary, receipt, check) are walked
by tests/browser/test_owner_flow.py, which runs the same check on each of them.
"""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.support.demo_pages import COMMITTEE_TABS, problems, sign_in


def assemblies(demo) -> dict[str, int]:
    """The demo's assemblies by status (the newest of each)."""
    with urllib.request.urlopen(demo.url + "/api/v1/assemblies") as r:
        rows = json.load(r)["assemblies"]
    return {a["status"]: a["id"] for a in sorted(rows, key=lambda a: a["id"])}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_public_and_owner_pages_have_big_tap_targets(demo, phone, lang) -> None:
    phone.goto(f"{demo.url}/lang/{lang}")
    ids = assemblies(demo)
    pages = ["/", "/verify", "/audit/", "/audit/challenge", "/staff/sign-in"]
    for aid in ids.values():
        pages += [f"/a/{aid}", f"/a/{aid}/notice", f"/a/{aid}/check", f"/a/{aid}/verify",
                  f"/audit/assemblies/{aid}", f"/audit/assemblies/{aid}/verify",
                  f"/audit/assemblies/{aid}/checkpoints"]
    if "announced" in ids:
        pages.append(f"/a/{ids['announced']}/announcement")
    found = [p for path in pages for p in problems(phone, demo.url + path)]
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_committee_pages_have_big_tap_targets(demo, phone, lang) -> None:
    phone.goto(f"{demo.url}/lang/{lang}")
    sign_in(phone, demo)
    pages = ["/committee/", "/committee/new", "/committee/review", "/committee/review/new"]
    for status, aid in assemblies(demo).items():
        pages += [f"/committee/a/{aid}{tab}"
                  for tab in (COMMITTEE_TABS if status != "draft" else ("",))]
    found = [p for path in pages for p in problems(phone, demo.url + path)]
    assert found == [], "\n".join(found)
