"""Route parameters filled from the two-community world (``tests/support/worlds.py``), and
who may read community A's records: the tables of the access-matrix tests
(``tests/web/test_web_access_matrix.py`` for GET, ``test_web_access_post.py`` for POST).

A parameter the tables do not know makes those tests report the route, so new
routes get covered instead of silently skipped.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.support.worlds import DISTRICT_A, World

# Route parameters -> community A's value.  Scoped ones identify A's records.
PARAMS: dict[str, Callable[[World], object]] = {
    "assembly_id": lambda w: w.a.assembly_id,
    "community_id": lambda w: w.a.community_id,
    "size": lambda w: w.a.checkpoint_size,
    "tracker": lambda w: w.a.tracker,
    "district": lambda w: DISTRICT_A,
    "staff_id": lambda w: w.staff["committee_a"],
    "lang": lambda w: "zh",
    "filename": lambda w: "css/app.css",
    "document_id": lambda w: w.a.document_id,
}
# Parameters naming records the world does not create (scans in the committee's vault, review
# requests): a placeholder value; those routes are checked for who gets in (401/403, and 404
# for the other community) but an allowed reader may get 404 for the missing record.
PLACEHOLDERS: dict[str, object] = {"kind": "scan", "sha256": "0" * 64, "reference": "R-0",
                                   "evidence_id": 1}
SCOPED = {"assembly_id", "community_id", "size", "tracker", "district", "head_id",
          "document_id", "position", "index", "proxy_id", "request_id", "entry", "reference",
          "evidence_id", "sha256"}
# Query strings some views need to answer with their page rather than "bad request".
QUERY: dict[str, Callable[[World], str]] = {
    "auditor.consistency": lambda w: f"?from=1&to={w.a.checkpoint_size}",
    "auditor.receipt_lookup": lambda w: f"?tracker={w.a.tracker}",
}
# Principals who may read community A's records (owner: an owner of A).
READS_A = {"owner", "committee_a", "supervisor_a", "auditor", "admin"}
OTHER_SIDE = {"committee_b", "supervisor_b"}
ROLE_OF = {"owner": "owner", "committee_a": "committee", "committee_b": "committee",
           "supervisor_a": "supervisor", "supervisor_b": "supervisor", "auditor": "auditor",
           "admin": "admin"}
# Route parameters that name no record of the world (an item's position, an action).
EXTRA: dict[str, object] = {"position": 1, "document_id": 1, "action": "approve"}


def path_for(rule, world: World) -> str:
    """The rule's path on community A's records (placeholders where the world has none)."""
    values = {}
    for arg in rule.arguments:
        if arg in PARAMS:
            values[arg] = PARAMS[arg](world)
        elif arg in PLACEHOLDERS:
            values[arg] = PLACEHOLDERS[arg]
        else:
            values[arg] = EXTRA[arg]  # KeyError: a new parameter; add it to EXTRA
    return rule.build(values, append_unknown=False)[1]
