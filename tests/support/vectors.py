"""The audit-bundle test vectors of docs/audit-bundle.md §13, written to docs/vectors/.

    python -m tests.support.vectors [OUT_DIR]     (default: docs/vectors)

Each vector is a small bundle with the verdict a verifier must reach (``valid``,
``invalid`` or ``unreadable`` — exit 0, 1, 2), the names of the checks that fail, the log
key to pin (``--log-key``) and, for some, an older bundle to compare (``--previous``).
``vectors.json`` lists them, ``README.md`` shows the same as a table.  The output is
deterministic (tests.support.vectorkit), and tests/unit/test_bundle_vectors.py both
regenerates and compares it and runs the verifier on every committed vector.
"""

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger import canonical
from ledger.bundle import KEYS, RESULT, ROSTER
from tests.support.vectorcases import (
    AGREE,
    Log,
    bad_root,
    bad_roster,
    closed,
    closed_early,
    co_owner_refused,
    committee_log,
    container,
    duplicate_cosignature,
    election_tie,
    extra_field,
    forged_tally,
    forked,
    high_s_log,
    minimal,
    origin_mismatch,
    proxy_beyond_cap,
    revote_refused,
    seq_after_paper,
    split_head,
    swap,
    tampered_result,
    time_back,
    transfer_log,
    with_members,
    wrong_matter,
)
from tests.support.vectorkit import IMPOSTOR, LOG, W1, W2

KEY_CHECK = "log key"
MANIFEST_CHECK = "manifest"
CHECKPOINTS_CHECK = "checkpoints"
CHAIN = "entries: encoding and hash chain"
SIGNATURES = "entries: signatures"
ROOTS = "merkle roots against checkpoints"
RULES = "rules: keys, ballots, window, casting rules"
POLICY_CHECK = "witness policy"
TALLY = "tally against the published result"
COPIES = "assembly.json and result.json match the log"
PREFIX = "previous bundle is a prefix (consistency proof)"
# -- the list ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Vector:
    name: str
    description: str
    make: Callable[[], bytes]
    verdict: str = "invalid"
    failing: tuple[str, ...] = ()
    pin: str | None = LOG.verifier.vkey
    previous: str | None = None


def _done(make: Callable[[], Log], votes: dict[tuple[str, str], Any] | None = None,
          **kw: Any) -> Callable[[], bytes]:
    def build() -> bytes:
        log = make()
        if votes is not None:
            closed(log, votes)
        return with_members(log, **kw)
    return build



VECTORS = (
    Vector("valid-minimal", "one phone ballot, closed, result published, cosigned by the "
           "policy's witness", _done(minimal, AGREE), "valid"),
    Vector("valid-open-log", "the same log before it closed (a snapshot of size 3)",
           _done(minimal), "valid"),
    Vector("valid-with-previous", "valid-minimal checked against the older snapshot "
           "(--previous)", _done(minimal, AGREE), "valid", previous="valid-open-log"),
    Vector("valid-committee-entries", "official key, revote, paper ballot with its signer, "
           "representative, written proxy and proxy ballot, a void (the voided ballot keeps "
           "its number), a revoked key; three checkpoints", _done(committee_log), "valid"),
    Vector("valid-transfer", "a unit sold during the vote: the seller's ballot stands on "
           "item 1, the buyer votes on item 2 with the next seq", _done(transfer_log), "valid"),
    Vector("valid-split-head", "the developer's head (two units) votes on item 1, then sells "
           "one unit to a new owner: the head is split; item 1 is counted on the head whole, "
           "item 2 with the buyer as one owner more", _done(split_head), "valid"),
    Vector("valid-election-tie", "2 seats among 3 candidates, each approved by 2 of 3 equal "
           "heads: tie_for_last_seat, nobody elected", _done(election_tie), "valid"),
    Vector("wrong-log-key", "everything consistently signed by another key of the same name; "
           "the genuine key is pinned", _done(lambda: minimal(log=IMPOSTOR), AGREE),
           failing=(KEY_CHECK,)),
    Vector("bad-checkpoint-root", "the checkpoint of size 3 (validly signed) has the root of "
           "the first 2 entries", bad_root, failing=(ROOTS,)),
    Vector("forked-previous", "the log's ballot says oppose: not an extension of "
           "valid-open-log", forked, previous="valid-open-log", failing=(PREFIX,)),
    Vector("duplicate-cosignature", "w1's cosignature line appears twice on the newest "
           "checkpoint", _done(minimal, AGREE, notes_hook=duplicate_cosignature),
           failing=(CHECKPOINTS_CHECK,)),
    Vector("unknown-cosigner", "a valid cosignature by a witness keys.json does not list",
           _done(lambda: minimal(cosigners=[W1, W2]), AGREE), failing=(CHECKPOINTS_CHECK,)),
    Vector("witness-policy-unmet", "entry 0 requires 1 of (w1); nobody cosigned",
           _done(lambda: minimal(cosigners=[]), AGREE), failing=(POLICY_CHECK,)),
    Vector("tampered-result", "result.json says passed: true (the MANIFEST re-signed over it)",
           tampered_result, failing=(COPIES,)),
    Vector("forged-tally", "the log publishes a result with 3 agreeing heads (signed "
           "throughout)", forged_tally, failing=(RULES, TALLY)),
    Vector("reordered-entries", "entries 1 and 2 swapped (checkpoint and MANIFEST over the "
           "swapped file)", _done(minimal, AGREE, lines_hook=swap(1, 2)),
           failing=(CHAIN, RULES, TALLY)),
    Vector("time-goes-back", "the ballot's time is before the enrolment's",
           time_back, failing=(CHAIN,)),
    Vector("high-s-signature", "the ballot's ECDSA signature replaced by its twin (r, n - s)",
           _done(high_s_log, AGREE), failing=(SIGNATURES,)),
    Vector("extra-payload-field", "a ballot payload with an extra field \"comment\", "
           "validly signed; the result leaves it out", extra_field,
           failing=(CHAIN,)),
    Vector("seller-votes-after-transfer", "the seller's phone votes again after the transfer",
           _done(lambda: transfer_log(seller_again=True)), failing=(RULES,)),
    Vector("split-seller-changes-locked-vote", "after the split of valid-split-head the "
           "developer votes again on item 1, which its ballot before the sale locked",
           _done(lambda: split_head(seller_again=True)), failing=(RULES,)),
    Vector("proxy-beyond-cap", "proxy_cap 1, and agent-1 registered for a second head",
           _done(proxy_beyond_cap), failing=(RULES,)),
    Vector("co-owner-not-representative", "the committee recorded co-owner c; co-owner d's "
           "phone votes", _done(co_owner_refused), failing=(RULES,)),
    Vector("seq-after-paper", "a paper ballot took seq 2; the next phone ballot says 2, not 3",
           _done(seq_after_paper), failing=(RULES,)),
    Vector("revote-not-allowed", "revote: none, and a second ballot on item 1",
           _done(revote_refused), failing=(RULES,)),
    Vector("roster-unit-id-not-a-string", "roster.json (bound by roster_sha256) has a unit "
           "id 102", _done(bad_roster), failing=(RULES, COPIES)),
    Vector("election-not-matter-3", "an election item published as matter 5",
           _done(wrong_matter), failing=(RULES, COPIES)),
    Vector("origin-mismatch", "entry 0 and every payload are for assembly/2, the MANIFEST "
           "and the checkpoints for assembly/1", origin_mismatch, failing=(RULES,)),
    Vector("closed-early", "voting.closed one minute before closes_at", closed_early,
           failing=(RULES,)),
    Vector("missing-result-member", "result.json listed in the MANIFEST but absent",
           _done(minimal, AGREE, listed_but_missing=(RESULT,)),
           failing=(MANIFEST_CHECK, COPIES)),
    Vector("extra-member", "a member notes.txt the MANIFEST does not list",
           _done(minimal, AGREE, unlisted={"notes.txt": b"hello\n"}),
           failing=(MANIFEST_CHECK,)),
    Vector("missing-roster", "roster.json listed in the MANIFEST but absent",
           _done(minimal, AGREE, listed_but_missing=(ROSTER,)), "unreadable"),
    Vector("duplicate-member", "keys.json twice in the zip", lambda: container("duplicate"),
           "unreadable"),
    Vector("encrypted-member", "roster.json flagged as encrypted",
           lambda: container("encrypted"), "unreadable"),
    Vector("bzip2-member", "entries.jsonl compressed with bzip2 (method 12)",
           lambda: container("bzip2"), "unreadable"),
    Vector("archive-comment", "the zip has an archive comment", lambda: container("comment"),
           "unreadable"),
    Vector("keys-witnesses-not-a-list", "keys.json has \"witnesses\": 5",
           _done(minimal, AGREE, change={KEYS: canonical.encode(
               {"log": LOG.verifier.vkey, "witnesses": 5})}), "unreadable"),
)


# -- output --------------------------------------------------------------------------------


def listing() -> dict[str, Any]:
    return {"v": 1, "vectors": [
        {"name": v.name, "file": f"{v.name}.zip", "description": v.description,
         "log_key": v.pin, "previous": None if v.previous is None else f"{v.previous}.zip",
         "verdict": v.verdict, "exit": {"valid": 0, "invalid": 1, "unreadable": 2}[v.verdict],
         "failing_checks": sorted(v.failing)} for v in VECTORS]}


def readme() -> str:
    rows = "".join(
        f"| `{v['file']}` | {v['verdict']} ({v['exit']}) | "
        f"{', '.join(f'*{c}*' for c in v['failing_checks']) or '—'} | "
        f"{'`' + v['previous'] + '`' if v['previous'] else ''} | {v['description']} |\n"
        for v in listing()["vectors"])
    return ("# Audit-bundle test vectors\n\n"
            "Generated by `python -m tests.support.vectors` (do not edit by hand); "
            "docs/audit-bundle.md §13 explains them, `vectors.json` lists the same in JSON.  "
            "Verify each with `--log-key` set to the genuine log key\n"
            f"`{LOG.verifier.vkey}`\n"
            "(every vector's `log_key`) and, where given, `--previous`.\n\n"
            "| file | verdict (exit) | failing checks | --previous | what it is |\n"
            "| --- | --- | --- | --- | --- |\n" + rows)


def build_all() -> dict[str, bytes]:
    files = {f"{v.name}.zip": v.make() for v in VECTORS}
    files["vectors.json"] = (json.dumps(listing(), ensure_ascii=False, indent=1) + "\n").encode()
    files["README.md"] = readme().encode()
    return files


def main(argv: list[str]) -> None:
    out = Path(argv[0] if argv else "docs/vectors")
    out.mkdir(parents=True, exist_ok=True)
    files = build_all()
    for old in out.iterdir():
        if old.name not in files:
            old.unlink()
    for name, data in files.items():
        (out / name).write_bytes(data)
    print(f"{len(VECTORS)} vectors written to {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
