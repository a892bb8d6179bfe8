"""Who may decide a review, as one rule (pure): the store applies it when a member
approves or rejects, and the review page asks it to explain a disabled button.

A review is decided by committee members of its community other than the one who
submitted it, each once, while it is pending; an approval needs evidence attached
(two approvals apply it: :data:`identity.store.review.APPROVALS_NEEDED`).
"""

from __future__ import annotations

from collections.abc import Collection

from identity.errors import ReviewProblem


def decision_refusal(*, member_of_community: bool, status: str, submitted_by: int,
                     deciding: int, decided_by: Collection[int], has_evidence: bool,
                     approving: bool = True) -> ReviewProblem | None:
    """Why member ``deciding`` may not decide the review now (None: they may)."""
    if not member_of_community:
        return ReviewProblem.NOT_COMMITTEE
    if status != "pending":
        return ReviewProblem.ALREADY_DECIDED
    if deciding == submitted_by:
        return ReviewProblem.SUBMITTER_DECIDES
    if deciding in decided_by:
        return ReviewProblem.DECIDED_BY_YOU
    if approving and not has_evidence:
        return ReviewProblem.NO_EVIDENCE
    return None
