"""A tracker code shown to someone else (a vote buyer, a boss) proves the ballot is in the
log, not what it says nor whether the owner revoted since (SECURITY.md §4): the receipt
lookup's choices and counting are for the voter's own session only (both databases)."""

from __future__ import annotations

from ledger import merkle
from ledger.note import Verifier, open_checkpoint
from ledger.receipts import tracker_code
from ledger.store import logstore
from ledger.store.committee import append_closing
from tests.support.phones import Phone
from tests.support.small_community import CHEN, WANG

#: What only the voter's own session may see.
OWN_FIELDS = {"entry", "head", "seq", "choices", "voided", "counts_for", "replaced"}


def _revoted(client, world) -> tuple[dict, dict]:
    """陈明 votes, then changes his vote on item 2: (first ballot, second ballot)."""
    phone = Phone(client, world.assembly_id)
    t = phone.ready(CHEN)
    first = phone.cast(phone.ballot(t, {"1": "agree", "2": "agree"})).get_json()
    second = phone.cast(phone.ballot(phone.template(), {"2": "oppose"})).get_json()
    return first, second


def _lookup(client, world, tracker: str) -> dict:
    r = client.get(f"/api/v1/assemblies/{world.assembly_id}/receipts/{tracker}")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _assert_public_only(answer: dict, vkey: str) -> None:
    assert answer["mine"] is False
    assert not OWN_FIELDS & set(answer), sorted(OWN_FIELDS & set(answer))
    # ...and still everything needed to check that the ballot is in the signed log
    leaf = bytes.fromhex(answer["entry_hash"])
    assert tracker_code(leaf) == answer["tracker"]
    cp, _ = open_checkpoint(answer["checkpoint"]["note"], Verifier.parse(vkey))
    merkle.verify_inclusion(leaf, answer["index"], cp.size,
                            [bytes.fromhex(h) for h in answer["inclusion"]], cp.root)


def test_anonymous_lookup_shows_the_ballot_is_in_the_log_not_whether_it_was_replaced(
        client, app, world) -> None:
    first, second = _revoted(client, world)
    # The voter's own session: choices, what counts and what replaced it.
    own = _lookup(client, world, first["tracker"])
    assert own["mine"] is True and own["choices"] == {"1": "agree", "2": "agree"}
    assert own["counts_for"] == ["1"] and own["replaced"] == {"2": second["index"]}
    # Anyone else, with the tracker code: in the log, with its proof; nothing more.
    vkey = own["checkpoint"]["log_key"]
    for tracker in (first["tracker"], second["tracker"]):
        _assert_public_only(_lookup(app.test_client(), world, tracker), vkey)


def test_another_owner_is_not_the_voter(client, app, world) -> None:
    first, _second = _revoted(client, world)
    neighbour = Phone(app.test_client(), world.assembly_id)
    neighbour.verify(WANG)
    answer = _lookup(neighbour.client, world, first["tracker"])
    _assert_public_only(answer, answer["checkpoint"]["log_key"])


def test_after_the_close_the_anonymous_answer_is_the_same(client, app, session, world) -> None:
    first, _second = _revoted(client, world)
    session.expire_all()
    logstore.begin_write(session)
    append_closing(session, world.assembly_id, reason="test")
    session.commit()
    answer = _lookup(app.test_client(), world, first["tracker"])
    _assert_public_only(answer, answer["checkpoint"]["log_key"])


def test_receipt_pages_tell_strangers_nothing_about_replacement(client, app, world) -> None:
    first, _second = _revoted(client, world)
    aid, tracker = world.assembly_id, first["tracker"]
    stranger = app.test_client()
    owner_page = stranger.get(f"/a/{aid}/receipt/{tracker}").get_data(as_text=True)
    audit_page = stranger.get(f"/audit/assemblies/{aid}/receipts",
                              query_string={"tracker": tracker}).get_data(as_text=True)
    for html in (owner_page, audit_page):
        assert tracker in html
        assert "取代" not in html and "以后来的" not in html  # "replaced", "the later counts"
        assert "是否计票" not in html  # no "does it count?" answer
    assert "同意" not in owner_page  # no choice
    # The voter, signed in, sees both.
    mine = client.get(f"/a/{aid}/receipt/{tracker}").get_data(as_text=True)
    assert "同意" in mine and "取代" in mine
