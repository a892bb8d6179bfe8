"""The logs and tampering of the audit-bundle test vectors (listed in tests.support.vectors).

A small community (two owners, the developer's unit, a co-owned unit in another building
and a parking space that does not count) or, for elections, three equal owners; each
function builds one vector's log with tests.support.vectorkit.
"""

from __future__ import annotations

import copy
import zipfile
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ledger import canonical
from ledger.bundle import KEYS, RESULT, ROSTER
from ledger.documents import convert_choices, grouped_roster, item_doc, parse_assembly, parse_roster
from ledger.note import Note
from tests.support import vectorkit as kit
from tests.support.vectorkit import CLOSES, DAY, LOG, OPENS, W1, Draft
from voting.heads import Unit
from voting.sales import Sale, new_head_id, tally_with_sales
from voting.settings import AssemblySettings

POLICY = {"quorum": 1, "witnesses": [W1.verifier.vkey]}
HEADER = {"community": "示例小区", "registry_digest": "ab" * 32, "roster_version": 1}
MIN = 60_000


def _units() -> list[tuple[Unit, str]]:
    return [
        (Unit.from_areas("1幢-101", {"owner-a"}, registered=Decimal("89.37"), building="1幢"),
         "registered"),
        (Unit.from_areas("1幢-102", {"owner-b"}, registered=Decimal("120.00"), building="1幢"),
         "registered"),
        (Unit.from_areas("1幢-103", (), contract=Decimal("75.50"), building="1幢",
                         developer_held=True), "unsold"),
        (Unit.from_areas("2幢-201", {"owner-c", "owner-d"}, surveyed=Decimal("95.00"),
                         building="2幢"), "registered"),
        (Unit.from_areas("P-01", {"owner-a"}, registered=Decimal("12.50"), building="1幢",
                         usage="parking"), "registered"),
    ]


def _election_units() -> list[tuple[Unit, str]]:
    return [(Unit.from_areas(f"3幢-30{n}", {f"owner-{n}"}, registered=Decimal("100.00"),
                             building="3幢"), "registered") for n in (1, 2, 3)]


MOTIONS = [item_doc("1", "续聘物业服务企业", "", "motion", 4, None, None, None),
           item_doc("2", "1幢外立面改造", "", "motion", 7, ["1幢"], None, None)]
ELECTION = [item_doc("1", "选举业主委员会委员", "", "election", 3, None, ["甲", "乙", "丙"], 2)]


def _split_units() -> list[tuple[Unit, str]]:
    """The community of _units() with a second unsold unit of the developer's: one head."""
    return [*_units(), (Unit.from_areas("1幢-104", (), contract=Decimal("64.25"),
                                        building="1幢", developer_held=True), "unsold")]


class Log(Draft):
    """A draft with the vectors' community: heads by unit, device keys by head."""

    def __init__(self, settings: dict[str, Any] | None = None,
                 items: list[dict[str, Any]] | None = None, election: bool = False,
                 policy: dict[str, Any] | None = POLICY, roster: bytes | None = None,
                 units: list[tuple[Unit, str]] | None = None, **kw: Any) -> None:
        parsed = AssemblySettings.from_dict(settings or {})
        units = units or (_election_units() if election else _units())
        data, r = grouped_roster(HEADER, units, parsed)
        self.head = dict(r.head_of_unit)
        doc = {"id": 1, "title": "2026年第一次业主大会", "description": "", "community": "示例小区",
               "notice_at": OPENS - 15 * DAY, "opens_at": OPENS, "closes_at": CLOSES,
               "settings": parsed.to_dict(),
               "items": items if items is not None else (ELECTION if election else MOTIONS)}
        super().__init__(doc, roster if roster is not None else data, policy, **kw)
        self.good_roster = data

    def key(self, unit: str, role: str = "owner") -> Any:
        return kit.device(f"{role}/{unit}")

    def counted(self, votes: dict[tuple[str, str], Any],
                assembly: dict[str, Any] | None = None,
                sales: tuple[Sale, ...] = ()) -> dict[str, Any]:
        """The result of ``votes`` (by unit, or by head id) on the frozen roster split by
        ``sales``."""
        a = parse_assembly(assembly or self.assembly)
        roster = parse_roster(self.good_roster, a.settings)
        converted = {(self.head.get(u, u), item): convert_choices({"x": v})["x"]
                     for (u, item), v in votes.items()}
        return tally_with_sales(roster, a.items.values(), converted, a.settings,
                                sales).to_json()


def minimal(**kw: Any) -> Log:
    """One owner's phone votes on item 1; closed; result published; cosigned by w1."""
    log = Log(**kw)
    a = log.key("1幢-101")
    log.enrol(OPENS + MIN, log.head["1幢-101"], a, "v-owner-a")
    log.ballot(OPENS + 2 * MIN, a, log.head["1幢-101"], 1, {"1": "agree"})
    return log


def closed(log: Log, votes: dict[tuple[str, str], Any]) -> Log:
    log.close(log.counted(votes))
    return log


def committee_log() -> Log:
    log = Log()
    h = log.head
    t = iter(range(OPENS + MIN, CLOSES, MIN))
    log.enrol_official(next(t))
    a = log.key("1幢-101")
    log.enrol(next(t), h["1幢-101"], a, "v-owner-a")
    log.ballot(next(t), a, h["1幢-101"], 1, {"1": "agree", "2": "agree"})
    log.ballot(next(t), a, h["1幢-101"], 2, {"1": "oppose"})  # revote: the last counts
    log.official(next(t), "paper_ballot", {"head": h["1幢-102"], "seq": 1, "voter": "v-owner-b",
                                           "choices": {"1": "agree", "2": "oppose"},
                                           "scan_sha256": "5c" * 32})
    log.official(next(t), "representative.set", {"head": h["2幢-201"], "voter": "v-owner-c"})
    log.official(next(t), "proxy.registered", {"head": h["2幢-201"], "agent": "agent-1",
                                               "evidence_sha256": "e1" * 32})
    proxy = log.key("2幢-201", "proxy")
    log.enrol(next(t), h["2幢-201"], proxy, "v-owner-c", agent="agent-1")
    log.ballot(next(t), proxy, h["2幢-201"], 1, {"1": "abstain"})
    dev = log.key("1幢-103")
    log.enrol(next(t), h["1幢-103"], dev, "v-developer")
    wrong = log.ballot(next(t), dev, h["1幢-103"], 1, {"1": "agree"})
    log.official(next(t), "entry.voided", {"target": wrong, "reason": "entered for the wrong unit"})
    log.ballot(next(t), dev, h["1幢-103"], 2, {"2": "agree"})  # voided ballots keep their seq
    log.attest(next(t), "key.revoked", {"head": h["1幢-101"], "key": kit.key_id(
        kit.device_spki(a)), "reason": "phone lost"})
    closed(log, {("1幢-101", "1"): "oppose", ("1幢-101", "2"): "agree",
                 ("1幢-102", "1"): "agree", ("1幢-102", "2"): "oppose",
                 ("2幢-201", "1"): "abstain", ("1幢-103", "2"): "agree"})
    log.checkpoint_sizes = [3, 8, len(log.entries)]
    return log


def transfer_log(seller_again: bool = False) -> Log:
    log = Log()
    h = log.head["1幢-102"]
    log.enrol_official(OPENS + MIN)
    seller, buyer = log.key("1幢-102"), log.key("1幢-102", "buyer")
    log.enrol(OPENS + 2 * MIN, h, seller, "v-owner-b")
    log.ballot(OPENS + 3 * MIN, seller, h, 1, {"1": "agree"})
    log.official(OPENS + 2 * 60 * MIN, "unit.transferred", {
        "head": h, "buyer": "v-buyer", "transferred_at": OPENS + 60 * MIN,
        "evidence_sha256": "7a" * 32})
    log.enrol(OPENS + 3 * 60 * MIN, h, buyer, "v-buyer")
    log.ballot(OPENS + 4 * 60 * MIN, buyer, h, 2, {"2": "oppose"})  # seq runs on
    if seller_again:
        log.ballot(OPENS + 5 * 60 * MIN, seller, h, 3, {"2": "agree"})
    return closed(log, {("1幢-102", "1"): "agree", ("1幢-102", "2"): "oppose"})


def split_head(seller_again: bool = False) -> Log:
    """The developer's head (1幢-103 and 1幢-104) votes on item 1, then sells 1幢-104 to a
    buyer who is no owner yet: the head is split (docs/rules.md §7.7).  The buyer, a head
    of its own, votes on item 2, and so does the developer for 1幢-103; item 1 stays the
    developer's whole head's.  ``seller_again``: the developer then changes its vote on
    item 1, which the sale locked (sold_unit_vote_stands)."""
    log = Log(units=_split_units())
    dev, into = log.head["1幢-103"], new_head_id("1幢-104")
    assert log.head["1幢-104"] == dev
    log.enrol_official(OPENS + MIN)
    seller, buyer = log.key("1幢-103"), log.key("1幢-104", "buyer")
    log.enrol(OPENS + 2 * MIN, dev, seller, "v-developer")
    log.ballot(OPENS + 3 * MIN, seller, dev, 1, {"1": "agree"})
    log.official(OPENS + 2 * 60 * MIN, "unit.transferred", {
        "head": dev, "unit": "1幢-104", "buyer": "v-buyer",
        "transferred_at": OPENS + 60 * MIN, "evidence_sha256": "7b" * 32})
    log.enrol(OPENS + 3 * 60 * MIN, into, buyer, "v-buyer")
    log.ballot(OPENS + 4 * 60 * MIN, buyer, into, 1, {"2": "oppose"})
    log.ballot(OPENS + 5 * 60 * MIN, seller, dev, 2, {"2": "agree"})
    if seller_again:
        log.ballot(OPENS + 6 * 60 * MIN, seller, dev, 3, {"1": "oppose"})
    sale = Sale(dev, "1幢-104", into, frozenset({"1"}))
    log.close(log.counted({(dev, "1"): "agree", (dev, "2"): "agree", (into, "2"): "oppose"},
                          sales=(sale,)))
    return log


def election_tie() -> Log:
    log = Log(election=True)
    for n in (1, 2, 3):
        log.enrol(OPENS + n * MIN, log.head[f"3幢-30{n}"], log.key(f"3幢-30{n}"), f"v-owner-{n}")
    for n, approve in ((1, ["甲", "乙"]), (2, ["甲", "丙"]), (3, ["乙", "丙"])):
        unit = f"3幢-30{n}"
        log.ballot(OPENS + (10 + n) * MIN, log.key(unit), log.head[unit], 1, {"1": approve})
    return closed(log, {(f"3幢-30{n}", "1"): v for n, v in
                        ((1, ["甲", "乙"]), (2, ["甲", "丙"]), (3, ["乙", "丙"]))})


def seq_after_paper() -> Log:
    log = Log()
    h = log.head["1幢-101"]
    log.enrol_official(OPENS + MIN)
    a = log.key("1幢-101")
    log.enrol(OPENS + 2 * MIN, h, a, "v-owner-a")
    log.ballot(OPENS + 3 * MIN, a, h, 1, {"1": "agree"})
    log.official(OPENS + 4 * MIN, "paper_ballot", {"head": h, "seq": 2, "choices": {"2": "agree"},
                                                   "scan_sha256": "5c" * 32})
    log.ballot(OPENS + 5 * MIN, a, h, 2, {"1": "oppose"})  # the head's next number is 3
    return closed(log, {("1幢-101", "1"): "oppose", ("1幢-101", "2"): "agree"})


def revote_refused() -> Log:
    log = minimal(settings={"revote": "none"})
    a = log.key("1幢-101")
    log.ballot(OPENS + 3 * MIN, a, log.head["1幢-101"], 2, {"1": "oppose"})
    return closed(log, {("1幢-101", "1"): "agree"})


def bad_roster() -> Log:
    good = Log()
    doc = canonical.decode(good.roster)
    doc["units"][1]["id"] = 102
    return closed(Log(roster=canonical.encode(doc)), {})


def wrong_matter() -> Log:
    log = Log(election=True, items=[{**ELECTION[0], "matter": 5}])
    log.close(Log(election=True).counted({}))
    return log


# -- hooks -------------------------------------------------------------------------------


def swap(i: int, j: int) -> Callable[[list[bytes]], list[bytes]]:
    def hook(lines: list[bytes]) -> list[bytes]:
        out = list(lines)
        out[i], out[j] = out[j], out[i]
        return out
    return hook


def duplicate_cosignature(notes: list[Note]) -> list[Note]:
    last = notes[-1]
    return [*notes[:-1], Note(last.text, (*last.signatures, last.signatures[-1]))]


def wrong_root_first(log: Log) -> Callable[[list[Note]], list[Note]]:
    def hook(notes: list[Note]) -> list[Note]:
        lines = log.lines()
        text = kit.Checkpoint(log.origin, 3, kit.merkle.root(lines[:2])).text()
        return [Note(text, kit.sign_note(text, LOG).signatures), *notes[1:]]
    return hook


def with_members(log: Draft, **kw: Any) -> bytes:
    members = log.members(kw.pop("lines_hook", None), kw.pop("notes_hook", None))
    change: dict[str, bytes | None] = kw.pop("change", {})
    for name, data in change.items():
        if data is None:
            del members[name]
        else:
            members[name] = data
    return kit.bundle_bytes(members, log=log.log, **kw)


def tampered_result() -> bytes:
    log = closed(minimal(), {("1幢-101", "1"): "agree"})
    forged = copy.deepcopy(log.result)
    assert forged is not None
    forged["items"][0]["passed"] = True
    return with_members(log, change={RESULT: canonical.encode(forged)})


def forged_tally() -> bytes:
    log = minimal()
    result = log.counted({("1幢-101", "1"): "agree"})
    result["items"][0]["agree"]["heads"] = 3
    log.close(result)
    return with_members(log)


def container(kind: str) -> bytes:
    members = closed(minimal(), {("1幢-101", "1"): "agree"}).members()
    signed = kit.manifest(kit.ORIGIN, members)
    listed = sorted(members.items())
    if kind == "duplicate":
        return kit.zip_bytes([*listed, (KEYS, members[KEYS]), ("MANIFEST", signed)])
    if kind == "bzip2":
        return kit.zip_bytes([*listed, ("MANIFEST", signed)], method=zipfile.ZIP_BZIP2)
    if kind == "comment":
        return kit.zip_bytes([*listed, ("MANIFEST", signed)], comment=b"hello")
    assert kind == "encrypted"
    return kit.set_encrypted_flag(kit.zip_bytes([*listed, ("MANIFEST", signed)]), ROSTER)


AGREE = {("1幢-101", "1"): "agree"}


def bad_root() -> bytes:
    log = closed(minimal(), AGREE)
    log.checkpoint_sizes = [3, len(log.entries)]
    return with_members(log, notes_hook=wrong_root_first(log))


def forked() -> bytes:
    log = Log()
    a = log.key("1幢-101")
    log.enrol(OPENS + MIN, log.head["1幢-101"], a, "v-owner-a")
    log.ballot(OPENS + 2 * MIN, a, log.head["1幢-101"], 1, {"1": "oppose"})
    return with_members(closed(log, {("1幢-101", "1"): "oppose"}))


def time_back() -> bytes:
    log = Log()
    a = log.key("1幢-101")
    log.enrol(OPENS + 2 * MIN, log.head["1幢-101"], a, "v-owner-a")
    log.ballot(OPENS + MIN, a, log.head["1幢-101"], 1, {"1": "agree"})
    return with_members(closed(log, AGREE))


def high_s_log() -> Log:
    log = Log()
    a = log.key("1幢-101")
    log.enrol(OPENS + MIN, log.head["1幢-101"], a, "v-owner-a")
    log.ballot(OPENS + 2 * MIN, a, log.head["1幢-101"], 1, {"1": "agree"}, malleate=True)
    return log


def extra_field() -> bytes:
    log = Log()
    a = log.key("1幢-101")
    log.enrol(OPENS + MIN, log.head["1幢-101"], a, "v-owner-a")
    log.ballot(OPENS + 2 * MIN, a, log.head["1幢-101"], 1, {"1": "agree"},
               extra={"comment": "x"})
    return with_members(closed(log, {}))


def origin_mismatch() -> bytes:
    """Entries (and every signed payload) for assembly 2; MANIFEST and checkpoints for 1."""
    log = minimal(origin=kit.ORIGIN.replace("assembly/1", "assembly/2"),
                  checkpoint_origin=kit.ORIGIN)
    return with_members(closed(log, AGREE))


def closed_early() -> bytes:
    log = minimal()
    log.close(log.counted(AGREE), at=CLOSES - 60_000)
    return with_members(log)


def proxy_beyond_cap() -> Log:
    """proxy_cap 1: agent-1 holds the written proxy of 2幢-201, then of 1幢-101."""
    log = Log(settings={"proxy_cap": 1})
    log.enrol_official(OPENS + 60_000)
    for n, unit in enumerate(("2幢-201", "1幢-101"), start=2):
        log.official(OPENS + n * 60_000, "proxy.registered", {
            "head": log.head[unit], "agent": "agent-1", "evidence_sha256": "e1" * 32})
    return closed(log, {})


def co_owner_refused() -> Log:
    """The committee records co-owner c as the one who votes; co-owner d's phone votes."""
    log = Log()
    h = log.head["2幢-201"]
    log.enrol_official(OPENS + 60_000)
    log.official(OPENS + 120_000, "representative.set", {"head": h, "voter": "v-owner-c"})
    d = log.key("2幢-201", "owner-d")
    log.enrol(OPENS + 180_000, h, d, "v-owner-d")
    log.ballot(OPENS + 240_000, d, h, 1, {"1": "agree"})
    return closed(log, {})
