"""Elections in the stored log, on SQLite and PostgreSQL: an invalid paper ballot takes part
and the verifier agrees; an election that leaves a seat open is not "passed" and prepares
its further round (另行选举) as a new draft; the election settings bound the items."""

from __future__ import annotations

import pytest

from ledger.ballots import new_nonce
from ledger.kinds import PAPER_BALLOT
from ledger.store import enrolment, writer
from ledger.store.logstore import begin_write
from ledger.store.publish import published
from ownervote.services import assemblies, further_rounds
from tests.support.committee_console import World, build_console_world
from tests.support.elections import counted_election
from tests.support.sample_log import DURING, LOG_SIGNER, committee_sign, device, store_ballot
from tests.support.stored_count import publish_and_verify
from voting.ballots import Choice
from voting.election import ElectionRuleProblem, ElectionStatus
from voting.errors import CastRefused, RefusalReason
from voting.items import ItemSpec
from voting.settings import AssemblySettings
from voting.store.models import Assembly
from voting.tally import tally


def test_an_invalid_paper_ballot_takes_part_and_the_verifier_agrees(session, log,
                                                                    tmp_path) -> None:

    aid, origin, heads = log
    member, member_spki, member_id = device()
    begin_write(session)
    enrolment.enroll_official(session, aid, LOG_SIGNER, member_spki, "staff-1", now=DURING)
    session.commit()

    def paper(head: str, choices: dict) -> None:
        payload = {"origin": origin, "official": member_id, "nonce": new_nonce(), "head": head,
                   "seq": 1, "choices": choices, "scan_sha256": "cd" * 32}
        begin_write(session)
        writer.enter_paper_ballot(session, aid, payload,
                                  committee_sign(member, PAPER_BALLOT, payload), now=DURING)
        session.commit()

    paper(heads[0], {"2": "invalid"})  # over-marked: both candidates ticked for one seat
    paper(heads[1], {"2": ["甲"]})
    paper(heads[2], {"1": "agree", "2": ["乙"]})
    phone, phone_spki, _ = device()
    begin_write(session)
    enrolment.enroll_key(session, aid, LOG_SIGNER, heads[3], phone_spki, voter="v-3",
                         now=DURING)
    session.commit()
    with pytest.raises(CastRefused) as refused:  # only a paper ballot can be invalid
        store_ballot(session, aid, origin, heads[3], phone, 1, {"2": "invalid"})
    assert refused.value.reason is RefusalReason.INVALID_CHOICE
    session.rollback()

    votes = writer.counted_votes(session, aid)
    assert votes[(heads[0], "2")] is Choice.INVALID
    adef, roster = published(session, aid)
    result = tally(roster, adef.items.values(), votes, adef.settings).item("2")
    assert result.participating.heads == 3 and result.election is not None
    assert result.election.invalid.heads == 1
    assert result.election.elected == () and not result.passed  # 甲 and 乙: 1 of 3 each
    assert result.election.status is (ElectionStatus.FAILED if result.quorum_met
                                      else ElectionStatus.QUORUM_NOT_MET)
    report = publish_and_verify(
        session, aid, tally(roster, adef.items.values(), votes, adef.settings).to_json(), tmp_path)
    assert report.valid, {k: v for k, v in report.checks.items() if v}


@pytest.fixture
def world(app, session, ov_settings) -> World:
    return build_console_world(session, ov_settings)


ELECTION_RULES = AssemblySettings(committee_size=5, competitive_elections=True)


def test_an_election_with_a_seat_open_prepares_its_further_round(app, session, world,
                                                                 ov_settings) -> None:
    aid = counted_election(session, world.a.id, ov_settings, ELECTION_RULES)
    counted = session.get(Assembly, aid).result["items"][1]
    assert counted["passed"] is False  # one of two seats: the committee is not complete
    assert counted["election"]["status"] == "partly_elected"
    assert counted["election"]["elected"] == ["甲"] and counted["election"]["unfilled_seats"] == 1

    prepared = further_rounds.prepare(session, aid, position=2, title="另行选举",
                                      description="", actor="test")
    assert (prepared.seats, set(prepared.candidates)) == (1, {"乙", "丙"})
    assert prepared.first_round is ElectionStatus.PARTLY_ELECTED
    session.rollback()
    draft = session.get(Assembly, prepared.assembly_id)
    assert draft.status == "draft" and draft.community_id == world.a.id
    assert [(i.kind, i.seats, sorted(i.candidates)) for i in draft.items] == [
        ("election", 1, ["丙", "乙"])]
    assert assemblies.settings_of(draft) == ELECTION_RULES  # the same assembly rules

    with pytest.raises(further_rounds.NoFurtherRound) as motion:
        further_rounds.prepare(session, aid, position=1, title="x", description="",
                               actor="test")
    assert motion.value.why == "not_an_election"
    session.rollback()
    with pytest.raises(further_rounds.NoFurtherRound) as uncounted:
        further_rounds.prepare(session, prepared.assembly_id, position=1, title="x",
                               description="", actor="test")
    assert uncounted.value.why == "not_counted"


def test_election_items_must_fit_the_election_settings(app, session, world) -> None:
    draft = assemblies.create_draft(
        session, community_id=world.a.id, title="2027年第二次业主大会会议", description="",
        settings=ELECTION_RULES, item=ItemSpec("选聘物业服务企业", 4), actor="test")
    with pytest.raises(assemblies.ElectionOutsideRules) as too_many:
        assemblies.add_item(session, draft.id, spec=ItemSpec(
            "选举", 3, kind="election", seats=7, candidates=tuple("甲乙丙丁戊己庚辛")))
    assert too_many.value.problem is ElectionRuleProblem.SEATS_OVER_COMMITTEE_SIZE
    assert (too_many.value.seats, too_many.value.committee_size) == (7, 5)
    session.rollback()
    with pytest.raises(assemblies.ElectionOutsideRules) as equal:
        assemblies.add_item(session, draft.id, spec=ItemSpec(
            "选举", 3, kind="election", seats=2, candidates=("甲", "乙")))
    assert equal.value.problem is ElectionRuleProblem.NOT_COMPETITIVE
    session.rollback()
    assemblies.save_settings(session, draft.id, title="t", description="",
                             settings=AssemblySettings())
    assemblies.add_item(session, draft.id, spec=ItemSpec(
        "选举", 3, kind="election", seats=2, candidates=("甲", "乙")))
    with pytest.raises(assemblies.ElectionOutsideRules) as later:  # settings it does not fit
        assemblies.save_settings(session, draft.id, title="新标题", description="",
                                 settings=ELECTION_RULES)
    assert later.value.position == 2
    session.rollback()
    a = session.get(Assembly, draft.id)
    assert a.title == "t" and assemblies.settings_of(a) == AssemblySettings()  # unchanged
