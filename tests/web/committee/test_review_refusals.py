"""The review queue's refusals carry a code (identity.errors.ReviewProblem); the console words
each in both languages, and the reason beside a disabled button is the rule that refuses."""

from __future__ import annotations

import re

import pytest

from identity import review_rules
from identity.errors import ReviewProblem

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("problem", list(ReviewProblem))
def test_every_review_problem_is_worded_in_both_languages(app, problem) -> None:
    from web.committee.review import REVIEW_PROBLEMS

    assert problem in REVIEW_PROBLEMS
    with app.test_request_context("/?lang=zh"):
        zh = str(REVIEW_PROBLEMS[problem])
    with app.test_request_context("/?lang=en"):
        en = str(REVIEW_PROBLEMS[problem])
    assert CJK.search(zh) and zh != en, (problem, zh, en)


def test_the_decision_rule_in_the_order_the_page_explains_it() -> None:
    allowed = dict(member_of_community=True, status="pending", submitted_by=1, deciding=2,
                   decided_by=set(), has_evidence=True)
    assert review_rules.decision_refusal(**allowed) is None
    cases = [
        ({"member_of_community": False}, ReviewProblem.NOT_COMMITTEE),
        ({"status": "approved"}, ReviewProblem.ALREADY_DECIDED),
        ({"deciding": 1}, ReviewProblem.SUBMITTER_DECIDES),
        ({"decided_by": {2}}, ReviewProblem.DECIDED_BY_YOU),
        ({"has_evidence": False}, ReviewProblem.NO_EVIDENCE),
    ]
    for change, problem in cases:
        assert review_rules.decision_refusal(**{**allowed, **change}) is problem
    # a rejection needs no evidence
    assert review_rules.decision_refusal(**{**allowed, "has_evidence": False},
                                         approving=False) is None
