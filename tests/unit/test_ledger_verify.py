"""The offline verifier: valid bundles pass; every changed byte, dropped or extra member,
broken rule, forged result or forked history is named as a failure."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import canonical, keys, synthetic, treemath
from ledger.ballots import ballot_payload, key_id, new_nonce, sign_p256, spki
from ledger.bundle import MANIFEST
from ledger.documents import convert_choices, parse_assembly, parse_roster
from ledger.entries import entry_hash, signed_message
from ledger.errors import BundleError
from ledger.kinds import (
    BALLOT,
    KEY_REVOKED,
    PAPER_BALLOT,
    PROXY_REGISTERED,
    REPRESENTATIVE_SET,
    UNIT_TRANSFERRED,
    VOIDED,
)
from ledger.memlog import MemLog, attest
from ledger.note import ALG_COSIGNATURE_V1
from ledger.verifier import verify_bundle
from voting.tally import tally

LOG = keys.generate("ownervote.example/log")
WITNESS = keys.generate("street-office.example/w1", ALG_COSIGNATURE_V1)
T = synthetic.OPENS


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    log = synthetic.build(LOG, heads=12, ballots=30)
    log.cosign_all(WITNESS, 1_767_300_000)
    return log.write_bundle(tmp_path_factory.mktemp("b") / "bundle.zip", [WITNESS.verifier])


def failed(report) -> dict[str, list[str]]:
    return {k: v for k, v in report.checks.items() if v}


def detected(path: Path, **kw) -> bool:
    """True when the bundle is not accepted (invalid or unreadable)."""
    try:
        return not verify_bundle(path, workers=1, **kw).valid
    except BundleError:
        return True


def rewrite(
    src: Path, dst: Path, replace: dict[str, bytes | None], extra: dict[str, bytes] | None = None
) -> Path:
    """Copy a bundle, replacing (or dropping, with None) members; MANIFEST kept as is."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = replace.get(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info, data)
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return dst


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i.filename) for i in z.infolist()}


def test_valid_bundle_passes_every_check(bundle: Path) -> None:
    for workers in (1, 2):
        report = verify_bundle(bundle, workers=workers, log_key=LOG.verifier.vkey)
        assert report.valid, failed(report)
        assert report.info["ballots"] == 30 and report.info["result_published"]
        assert report.info["witnesses"] == [WITNESS.name]
        assert len(report.checks) >= 9


def test_every_member_at_first_middle_and_last_byte(bundle: Path, tmp_path: Path) -> None:
    for name, data in members(bundle).items():
        for pos in sorted({0, len(data) // 2, len(data) - 1}):
            mutated = data[:pos] + bytes([data[pos] ^ 0x01]) + data[pos + 1 :]
            out = rewrite(bundle, tmp_path / "m.zip", {name: mutated})
            assert detected(out), f"{name} byte {pos} changed but accepted"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_any_changed_byte_anywhere_is_detected(bundle: Path, tmp_path: Path, data) -> None:
    all_members = members(bundle)
    name = data.draw(st.sampled_from(sorted(all_members)))
    blob = all_members[name]
    pos = data.draw(st.integers(0, len(blob) - 1))
    new = data.draw(st.integers(0, 255).filter(lambda b: b != blob[pos]))
    out = rewrite(bundle, tmp_path / "h.zip", {name: blob[:pos] + bytes([new]) + blob[pos + 1 :]})
    assert detected(out), f"{name} byte {pos} -> {new} accepted"


def test_dropped_or_extra_members_are_detected(bundle: Path, tmp_path: Path) -> None:
    for name in members(bundle):
        out = rewrite(bundle, tmp_path / "d.zip", {name: None})
        assert detected(out), f"bundle without {name} accepted"
    out = rewrite(bundle, tmp_path / "e.zip", {}, extra={"notes.txt": b"hello"})
    report = verify_bundle(out, workers=1)
    assert any("unexpected member notes.txt" in f for f in report.checks["manifest"])


def test_a_changed_member_is_named(bundle: Path, tmp_path: Path) -> None:
    roster = members(bundle)["roster.json"].replace(b'"89.37"', b'"98.37"', 1)
    report = verify_bundle(rewrite(bundle, tmp_path / "r.zip", {"roster.json": roster}), workers=1)
    assert "roster.json does not match its MANIFEST line" in report.checks["manifest"]


def test_unreadable_inputs(tmp_path: Path, bundle: Path) -> None:
    (tmp_path / "x.zip").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(BundleError):
        verify_bundle(tmp_path / "x.zip", workers=1)
    with pytest.raises(BundleError, match="MANIFEST"):
        verify_bundle(rewrite(bundle, tmp_path / "n.zip", {MANIFEST: None}), workers=1)


# -- a log with every entry kind, built by hand ---------------------------------------------


class Scenario:
    """An assembly with committee keys, paper ballots, a proxy, a void and a revoked key."""

    def __init__(self, settings_: dict | None = None) -> None:
        self.rdata, self.heads = synthetic.roster(6, settings_)
        self.adoc = synthetic.assembly_doc(items=2, settings=settings_)
        self.origin = "ownervote.example/demo/assembly/1"
        self.log = MemLog(LOG, self.origin, self.adoc, self.rdata, T - 3_600_000)
        self.committee = ec.generate_private_key(ec.SECP256R1())
        self.official = self.log.enroll_official(spki(self.committee.public_key()), "staff-1")
        self.devices = {}
        self.seq = dict.fromkeys(self.heads, 0)
        self.t = T

    def tick(self) -> int:
        self.t += 1000
        return self.t

    def enroll(self, head: str, **kw) -> ec.EllipticCurvePrivateKey:
        k = ec.generate_private_key(ec.SECP256R1())
        self.log.enroll_key(head, spki(k.public_key()), time_ms=self.tick(), **kw)
        self.devices[head] = k
        return k

    def vote(
        self,
        head: str,
        choices: dict,
        k=None,
        seq: int | None = None,
        origin: str | None = None,
        t: int | None = None,
    ) -> int:
        k = k or self.devices[head]
        self.seq[head] += 1
        payload = ballot_payload(
            origin or self.origin,
            head,
            key_id(spki(k.public_key())),
            seq or self.seq[head],
            choices,
            new_nonce(),
        )
        return self.log.signed(
            BALLOT, payload, sign_p256(k, signed_message(BALLOT, payload)), t or self.tick()
        )

    def official_entry(self, kind: str, payload: dict, key=None) -> int:
        payload = {
            "origin": self.origin,
            "official": self.official,
            "nonce": new_nonce(),
            **payload,
        }
        sig = sign_p256(key or self.committee, signed_message(kind, payload))
        return self.log.signed(kind, payload, sig, self.tick())

    def paper(self, head: str, choices: dict) -> int:
        self.seq[head] += 1
        return self.official_entry(
            PAPER_BALLOT,
            {"head": head, "seq": self.seq[head], "choices": choices, "scan_sha256": "cd" * 32},
        )

    def finish(self, path: Path, votes: dict | None = None, result: dict | None = None) -> Path:
        self.log.close(synthetic.CLOSES)
        if result is None:
            a = parse_assembly(self.adoc)
            r = parse_roster(self.rdata, a.settings)
            result = tally(r, a.items.values(), votes or {}, a.settings).to_json()
        self.log.publish_result(result, synthetic.CLOSES + 1)
        return self.log.write_bundle(path)


def votes_of(pairs: dict) -> dict:
    return {k: convert_choices({"x": v})["x"] for k, v in pairs.items()}


def test_every_entry_kind_in_a_valid_log(tmp_path: Path) -> None:
    s = Scenario()
    h = s.heads
    s.enroll(h[0], voter="a")
    s.vote(h[0], {"1": "agree", "2": "agree"})
    s.vote(h[0], {"1": "oppose"})  # revote: the last counts (default until_close)
    s.paper(h[1], {"1": "agree", "2": "oppose"})
    s.official_entry(
        PROXY_REGISTERED, {"head": h[2], "agent": "agent-1", "evidence_sha256": "ef" * 32}
    )
    s.enroll(h[2], role="proxy", agent="agent-1", voter="agent-1")
    s.vote(h[2], {"1": "abstain"})
    s.enroll(h[3], voter="b")
    voided = s.vote(h[3], {"1": "agree"})
    s.official_entry(VOIDED, {"target": voided, "reason": "entered for the wrong unit"})
    old = s.devices[h[3]]
    payload = {
        "origin": s.origin,
        "head": h[3],
        "key": key_id(spki(old.public_key())),
        "reason": "phone lost",
    }
    s.log.append(KEY_REVOKED, attest(LOG, KEY_REVOKED, payload), s.tick())
    s.enroll(h[3], voter="b")
    s.vote(h[3], {"2": "oppose"})
    s.official_entry(REPRESENTATIVE_SET, {"head": h[4], "voter": "c2"})
    s.enroll(h[4], voter="c2")
    s.vote(h[4], {"1": "agree"})
    votes = votes_of(
        {
            (h[0], "1"): "oppose",
            (h[0], "2"): "agree",
            (h[1], "1"): "agree",
            (h[1], "2"): "oppose",
            (h[2], "1"): "abstain",
            (h[3], "2"): "oppose",
            (h[4], "1"): "agree",
        }
    )
    report = verify_bundle(s.finish(tmp_path / "ok.zip", votes), workers=2)
    assert report.valid, failed(report)


def _one_failure(
    tmp_path: Path, build, check: str, words: str, settings_=None, votes=None, result=None
) -> None:
    s = Scenario(settings_)
    build(s)
    report = verify_bundle(s.finish(tmp_path / "bad.zip", votes, result), workers=1)
    fails = failed(report)
    assert check in fails, fails
    assert any(words in f for f in fails[check]), fails[check]


def test_ballot_by_unenrolled_key(tmp_path: Path) -> None:
    def build(s):
        s.vote(s.heads[0], {"1": "agree"}, k=ec.generate_private_key(ec.SECP256R1()))

    _one_failure(tmp_path, build, "entries: signatures", "no enrolment")


def test_replayed_or_skipped_ballot_number(tmp_path: Path) -> None:
    def build(s):
        s.enroll(s.heads[0])
        s.vote(s.heads[0], {"1": "agree"})
        s.vote(s.heads[0], {"1": "agree"}, seq=1)

    _one_failure(
        tmp_path,
        build,
        "rules: keys, ballots, window, casting rules",
        "ballot number 1, expected 2",
        votes=votes_of({}),
    )


def test_ballot_outside_the_window_or_for_another_log(tmp_path: Path) -> None:
    def build(s):
        s.enroll(s.heads[0])
        s.vote(s.heads[0], {"1": "agree"}, t=synthetic.CLOSES + 5)
        s.enroll(s.heads[1])
        s.vote(s.heads[1], {"1": "agree"}, origin="evil.example/x/assembly/1")

    _one_failure(
        tmp_path, build, "rules: keys, ballots, window, casting rules", "outside the voting window"
    )
    _one_failure(tmp_path, build, "rules: keys, ballots, window, casting rules", "not this log's")


def test_casting_rules_refuse_a_second_ballot_when_revoting_is_off(tmp_path: Path) -> None:
    def build(s):
        s.enroll(s.heads[0])
        s.vote(s.heads[0], {"1": "agree"})
        s.vote(s.heads[0], {"1": "oppose"})

    _one_failure(
        tmp_path,
        build,
        "rules: keys, ballots, window, casting rules",
        "casting rules refuse",
        settings_={"revote": "none"},
    )


def test_paper_after_electronic_is_refused_by_first_cast_precedence(tmp_path: Path) -> None:
    def build(s):
        s.enroll(s.heads[0])
        s.vote(s.heads[0], {"1": "agree"})
        s.paper(s.heads[0], {"1": "oppose"})

    _one_failure(
        tmp_path, build, "rules: keys, ballots, window, casting rules", "casting rules refuse"
    )


def test_paper_ballot_by_an_unenrolled_committee_key(tmp_path: Path) -> None:
    def build(s):
        rogue = ec.generate_private_key(ec.SECP256R1())
        s.official = key_id(spki(rogue.public_key()))
        s.committee = rogue
        s.paper(s.heads[0], {"1": "agree"})

    _one_failure(tmp_path, build, "entries: signatures", "no enrolment of official key")


def test_a_forged_result_is_caught(tmp_path: Path) -> None:
    def build(s):
        s.enroll(s.heads[0])
        s.vote(s.heads[0], {"1": "agree"})

    s = Scenario()
    a = parse_assembly(s.adoc)
    honest = tally(
        parse_roster(s.rdata, a.settings),
        a.items.values(),
        votes_of({(s.heads[0], "1"): "agree"}),
        a.settings,
    ).to_json()
    forged = canonical.decode(canonical.encode(honest))
    forged["items"][0]["passed"] = not forged["items"][0]["passed"]
    _one_failure(tmp_path, build, "tally against the published result", "differs", result=forged)


def test_a_broken_chain_is_caught_even_when_the_log_signs_it(tmp_path: Path) -> None:
    def build(s):
        s.enroll(s.heads[0])
        good = s.log.prev
        s.log.prev = bytes(32)  # the next entry links to the wrong predecessor
        s.vote(s.heads[0], {"1": "agree"})
        assert good != s.log.prev

    _one_failure(
        tmp_path,
        build,
        "entries: encoding and hash chain",
        "prev is not the hash",
        votes=votes_of({}),
    )


def test_a_log_that_rewrites_a_ballot_and_signs_everything_is_caught(tmp_path: Path) -> None:
    """The log key alone cannot change a vote: the voter's device signature breaks."""

    def build(s):
        s.enroll(s.heads[0])
        index = s.vote(s.heads[0], {"1": "agree"})
        data = s.log.entries.pop()
        s.log.size = index  # rebuild the tail with a forged entry
        s.log.tree = treemath.CompactRange()
        for e in s.log.entries:
            s.log.tree.append(entry_hash(e))
        s.log.prev = entry_hash(s.log.entries[-1])
        s.log.append_raw(data.replace(b'"1":"agree"', b'"1":"oppose"'))

    _one_failure(tmp_path, build, "entries: signatures", "does not verify", votes=votes_of({}))


# -- --previous: an older bundle must be a prefix ----------------------------------------------


def test_previous_bundle_prefix_and_fork(tmp_path: Path) -> None:
    s = Scenario()
    s.enroll(s.heads[0])
    s.vote(s.heads[0], {"1": "agree"})
    old = s.log.write_bundle(tmp_path / "old.zip")
    s.enroll(s.heads[1])
    s.vote(s.heads[1], {"1": "oppose"})
    new = s.finish(
        tmp_path / "new.zip", votes_of({(s.heads[0], "1"): "agree", (s.heads[1], "1"): "oppose"})
    )
    report = verify_bundle(new, previous=old, workers=1)
    assert report.valid, failed(report)
    assert report.info["previous"]["size"] == 4
    # a fork: same log key, same size, another history (a different ballot at the end)
    f = Scenario()
    f.log = MemLog(LOG, s.origin, s.adoc, s.rdata, T - 3_600_000)
    f.log.enroll_official(spki(s.committee.public_key()), "staff-1")
    f.devices = {}
    f.seq = dict.fromkeys(f.heads, 0)
    f.enroll(f.heads[0])
    f.vote(f.heads[0], {"1": "oppose"})
    forked = f.log.write_bundle(tmp_path / "fork.zip")
    report = verify_bundle(new, previous=forked, workers=1)
    fails = failed(report)
    assert "previous bundle is a prefix (consistency proof)" in fails, fails
    # the newer bundle given as --previous of the older: cannot be a prefix
    report = verify_bundle(old, previous=new, workers=1)
    assert not report.valid


def test_unreadable_previous_bundle_is_unreadable_input(bundle: Path, tmp_path: Path) -> None:
    (tmp_path / "old.zip").write_bytes(b"garbage")
    with pytest.raises(BundleError, match="previous bundle"):
        verify_bundle(bundle, previous=tmp_path / "old.zip", workers=1)


def test_failure_lists_are_capped_and_huge_lines_refused(bundle: Path, tmp_path: Path) -> None:
    from ledger.report import Failures

    f = Failures()
    f.extend(f"entry {i}: bad" for i in range(1000))
    assert len(f) == Failures.LIMIT + 1 and f.more == 1000 - Failures.LIMIT
    huge = members(bundle)["entries.jsonl"] + b"x" * (5 << 20)
    with pytest.raises(BundleError, match="longer than"):
        verify_bundle(rewrite(bundle, tmp_path / "huge.zip", {"entries.jsonl": huge}), workers=1)


# -- the committee entries' own rules, as the server applies them (ledger.entry_rules) ------

RULES = "rules: keys, ballots, window, casting rules"


def test_a_transfer_of_one_unit_of_a_head_of_several_is_caught(tmp_path: Path) -> None:
    def build(s):
        roster = parse_roster(s.rdata, parse_assembly(s.adoc).settings)
        several = next(h for h in s.heads if len(roster.heads[h].unit_ids) > 1)
        s.official_entry(UNIT_TRANSFERRED, {"head": several, "buyer": "buyer-1",
                                            "transferred_at": s.t, "evidence_sha256": "ab" * 32})

    _one_failure(tmp_path, build, RULES, "as one owner")


def test_a_proxy_beyond_the_cap_is_caught(tmp_path: Path) -> None:
    def build(s):
        for h in s.heads[:2]:  # the cap is 1: the second registration is one too many
            s.official_entry(PROXY_REGISTERED, {"head": h, "agent": "agent-1",
                                                "evidence_sha256": "ef" * 32})

    _one_failure(tmp_path, build, RULES, "proxy_cap_exceeded", settings_={"proxy_cap": 1})


def test_a_proxy_registered_twice_and_a_void_without_a_reason_are_caught(tmp_path: Path) -> None:
    def build(s):
        for _ in range(2):
            s.official_entry(PROXY_REGISTERED, {"head": s.heads[0], "agent": "agent-1",
                                                "evidence_sha256": "ef" * 32})

    _one_failure(tmp_path, build, RULES, "registered twice")

    def void(s):
        s.enroll(s.heads[0])
        s.official_entry(VOIDED, {"target": s.vote(s.heads[0], {"1": "agree"}), "reason": "x"})

    _one_failure(tmp_path, void, RULES, "reason of a void")


# -- a unit sold out of a multi-unit head (voting.sales, docs/rules.md 7.7): the verifier ----
# -- replays the split exactly as the counting engine does; the result must be the split tally

from voting.sales import Sale, new_head_id, tally_with_sales  # noqa: E402


def _several(s: Scenario) -> tuple[str, tuple[str, ...]]:
    roster = parse_roster(s.rdata, parse_assembly(s.adoc).settings)
    head = next(h for h in s.heads if len(roster.heads[h].unit_ids) > 1)
    return head, roster.heads[head].unit_ids


def _sell(s: Scenario, head: str, unit: str, **extra: str) -> int:
    return s.official_entry(UNIT_TRANSFERRED, {
        "head": head, "buyer": "buyer-1", "transferred_at": s.t + 500, "unit": unit,
        "evidence_sha256": "ab" * 32, **extra})


def _result(s: Scenario, votes: dict, sales: list[Sale]) -> dict:
    a = parse_assembly(s.adoc)
    r = parse_roster(s.rdata, a.settings)
    return tally_with_sales(r, a.items.values(), votes, a.settings, sales).to_json()


def test_one_unit_sold_out_of_a_multi_unit_head_verifies(tmp_path: Path) -> None:
    s = Scenario()
    head, units = _several(s)
    sold = units[0]
    buyer = new_head_id(sold)
    s.paper(head, {"1": "agree"})  # before the sale: stands for the whole head
    _sell(s, head, sold)
    s.seq[buyer] = 0
    s.enroll(buyer, voter="buyer-1")
    s.vote(buyer, {"2": "oppose"})
    s.paper(head, {"2": "agree"})  # the seller, for what it keeps
    votes = votes_of({(head, "1"): "agree", (buyer, "2"): "oppose", (head, "2"): "agree"})
    result = _result(s, votes, [Sale(head, sold, buyer, frozenset({"1"}))])
    item1, item2 = result["items"]
    assert item2["total"]["heads"] == item1["total"]["heads"] + 1
    report = verify_bundle(s.finish(tmp_path / "ok.zip", result=result), workers=1)
    assert report.valid, failed(report)


def test_a_result_ignoring_the_split_is_caught(tmp_path: Path) -> None:
    s = Scenario()
    head, units = _several(s)
    s.paper(head, {"1": "agree"})
    _sell(s, head, units[0])
    s.paper(head, {"2": "agree"})
    votes = votes_of({(head, "1"): "agree", (head, "2"): "agree"})
    report = verify_bundle(s.finish(tmp_path / "bad.zip", votes), workers=1)
    assert any("differs from the recomputed tally" in f
               for f in failed(report)["tally against the published result"]), failed(report)


def test_a_unit_not_in_the_sellers_head_is_caught(tmp_path: Path) -> None:
    s = Scenario()
    head, _units = _several(s)
    _sell(s, head, "no-such-unit")
    report = verify_bundle(s.finish(tmp_path / "bad.zip"), workers=1)
    assert any("unit_not_in_head" in f for f in failed(report)[RULES]), failed(report)


def test_the_seller_changing_a_ballot_that_stands_is_caught(tmp_path: Path) -> None:
    s = Scenario()
    head, units = _several(s)
    s.paper(head, {"1": "agree"})
    _sell(s, head, units[0])
    s.paper(head, {"1": "oppose"})
    votes = votes_of({(head, "1"): "agree"})
    result = _result(s, votes, [Sale(head, units[0], new_head_id(units[0]), frozenset({"1"}))])
    report = verify_bundle(s.finish(tmp_path / "bad.zip", result=result), workers=1)
    assert any("sold_unit_vote_stands" in f for f in failed(report)[RULES]), failed(report)


def test_the_buyer_bound_by_the_sellers_ballot_is_caught(tmp_path: Path) -> None:
    s = Scenario()
    head, units = _several(s)
    buyer = new_head_id(units[0])
    s.paper(head, {"1": "agree"})
    _sell(s, head, units[0])
    s.seq[buyer] = 0
    s.enroll(buyer, voter="buyer-1")
    s.vote(buyer, {"1": "oppose"})
    votes = votes_of({(head, "1"): "agree"})
    result = _result(s, votes, [Sale(head, units[0], buyer, frozenset({"1"}))])
    report = verify_bundle(s.finish(tmp_path / "bad.zip", result=result), workers=1)
    assert any("seller_voted_before_transfer" in f for f in failed(report)[RULES]), \
        failed(report)
