"""The stored log on SQLite and PostgreSQL: appends, proofs from tree_node,
checkpoint consistency, casting through the writer API, receipts, cosignatures."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select, update

from ledger import merkle
from ledger.errors import (
    BallotError,
    CosignatureError,
    InconsistentCheckpoint,
    LogStateError,
    ReceiptError,
    Refusal,
)
from ledger.kinds import CLOSED
from ledger.note import cosign, open_checkpoint, parse_note
from ledger.receipts import Receipt, verify_receipt
from ledger.store import checkpoints, enrolment, logstore, writer
from ledger.store import committee as entries
from ledger.store.logstore import begin_write
from ledger.store.models import LedgerEntry, LogHead, TreeNode
from ledger.store.publish import published
from ledger.store.receipts import make_receipt, receipt_update
from ownervote.db import make_session_factory
from tests.support.sample_log import (
    DURING,
    LOG_SIGNER,
    WITNESS,
    committee_sign,
    device,
    store_ballot,
)
from tests.support.stored_count import publish_and_verify
from voting.errors import CastRefused


def _entries(session, aid):
    return list(logstore.iter_entries(session, aid))


def test_publish_writes_entry_zero(session, log) -> None:
    aid, origin, heads = log
    assert origin == f"vote.zhangping.example/community-1/assembly/{aid}"
    assert len(heads) == 4  # 101, 102, 201+202, developer 203+204
    head = logstore.get_head(session, aid)
    assert head.size == 1 and bytes(head.root) == merkle.root(_entries(session, aid))


@pytest.mark.parametrize("backend", ["sqlite"])  # PostgreSQL locks with SELECT ... FOR UPDATE
def test_sqlite_append_needs_begin_immediate(session, log, backend) -> None:
    aid, _, _ = log
    session.execute(select(LogHead)).all()  # a DEFERRED transaction is now open
    with pytest.raises(LogStateError, match="BEGIN IMMEDIATE"):
        entries.append_closing(session, aid)


def test_one_writer_at_a_time_per_log(engine, session, log) -> None:
    """A second writer of the same log waits until the first commits or rolls back."""
    aid, _, _ = log
    factory = make_session_factory(engine)
    first = factory()
    begin_write(first)
    logstore.lock_head(first, aid)
    acquired = threading.Event()

    def second_writer() -> None:
        with factory() as second:
            begin_write(second)
            logstore.lock_head(second, aid)
            acquired.set()
            second.rollback()

    thread = threading.Thread(target=second_writer)
    thread.start()
    try:
        assert not acquired.wait(0.5), "a second writer got the lock while the first held it"
    finally:
        first.rollback()
        first.close()
    assert acquired.wait(20), "the second writer never got the lock after the first let go"
    thread.join()


def test_appends_keep_tree_nodes_and_proofs_equal_to_merkle(session, log) -> None:
    aid, origin, heads = log
    keys_ = []
    for n in range(37):
        begin_write(session)
        k, der, _ = device()
        enrolment.enroll_key(session, aid, LOG_SIGNER, heads[n % 4], der, voter=f"v{n}", now=DURING)
        session.commit()
        keys_.append(k)
    entries = _entries(session, aid)
    n = len(entries)
    assert n == 38
    session.commit()
    head = logstore.get_head(session, aid)
    assert bytes(head.root) == merkle.root(entries)
    # exactly the complete subtrees are stored: n leaves + n - popcount(n) inner nodes
    count = session.scalar(
        select(func.count()).select_from(TreeNode).where(TreeNode.assembly_id == aid)
    )
    assert count == 2 * n - bin(n).count("1")
    for size in (1, 2, 5, 16, 17, 37, 38):
        assert logstore.root_at(session, aid, size) == merkle.root(entries[:size])
        for index in {0, size // 2, size - 1}:
            assert logstore.inclusion_proof(session, aid, index, size) == merkle.inclusion_proof(
                entries[:size], index
            )
        for old in (0, 1, size // 3, size - 1, size):
            assert logstore.consistency_proof(session, aid, old, size) == merkle.consistency_proof(
                entries[:size], old
            )


def test_checkpoints_are_consistent_and_refuse_a_forked_tree(session, log) -> None:
    aid, _, heads = log
    begin_write(session)
    first = checkpoints.issue_checkpoint(session, aid, LOG_SIGNER)
    session.commit()
    begin_write(session)
    assert checkpoints.issue_checkpoint(session, aid, LOG_SIGNER).id == first.id  # no growth
    _, der, _ = device()
    enrolment.enroll_key(session, aid, LOG_SIGNER, heads[0], der, voter="v", now=DURING)
    second = checkpoints.issue_checkpoint(session, aid, LOG_SIGNER)
    session.commit()
    assert (first.size, second.size) == (1, 2)
    assert open_checkpoint(second.note, LOG_SIGNER.verifier)[0].size == 2
    # rewrite history as an attacker with database access would: replace the first two
    # entries' subtree and recompute the head's root consistently from the stored nodes
    begin_write(session)
    _, der2, _ = device()
    enrolment.enroll_key(session, aid, LOG_SIGNER, heads[1], der2, voter="w", now=DURING)
    session.execute(
        update(TreeNode)
        .where(TreeNode.assembly_id == aid, TreeNode.level == 1, TreeNode.index == 0)
        .values(hash=b"\x00" * 32)
    )
    head = logstore.lock_head(session, aid)
    third = logstore.entry_bytes(session, aid, 2)
    head.root = merkle.node_hash(b"\x00" * 32, merkle.leaf_hash(third))
    session.flush()
    with pytest.raises(InconsistentCheckpoint, match="not consistent"):
        checkpoints.issue_checkpoint(session, aid, LOG_SIGNER)
    session.rollback()


def test_cast_receipt_and_refusals(session, log) -> None:
    aid, origin, heads = log
    begin_write(session)
    k, der, kid = device()
    enrolment.enroll_key(session, aid, LOG_SIGNER, heads[0], der, voter="v0", now=DURING)
    session.commit()
    out = store_ballot(session, aid, origin, heads[0], k, 1, {"1": "agree", "2": ["甲"]})
    assert writer.next_seq(session, aid, heads[0]) == 2
    with pytest.raises(BallotError, match="ballot number") as replayed:
        store_ballot(session, aid, origin, heads[0], k, 1, {"1": "oppose"})  # replay of seq 1
    assert replayed.value.code is Refusal.SEQ_CONFLICT and replayed.value.params == {"next_seq": 2}
    with pytest.raises(BallotError, match="voting window has ended") as late:
        store_ballot(
            session,
            aid,
            origin,
            heads[0],
            k,
            2,
            {"1": "oppose"},
            now=DURING + dt.timedelta(days=30),
        )
    assert late.value.code is Refusal.CLOSED
    with pytest.raises(BallotError, match="another head") as elsewhere:
        store_ballot(session, aid, origin, heads[1], k, 1, {"1": "oppose"})
    assert elsewhere.value.code is Refusal.WRONG_HEAD
    with pytest.raises(CastRefused):
        store_ballot(session, aid, origin, heads[0], k, 2,
                     {"1": "maybe"} if False else {"2": ["丙"]})
    with pytest.raises(Exception, match="origin"):
        store_ballot(session, aid, "evil.example/x/assembly/1", heads[0], k, 2, {"1": "oppose"})
    # a second ballot replaces the first (default: until close, last counts)
    store_ballot(session, aid, origin, heads[0], k, 2, {"1": "oppose"})
    assert writer.counted_votes(session, aid)[(heads[0], "1")].value == "oppose"

    session.commit()
    begin_write(session)
    checkpoints.issue_checkpoint(session, aid, LOG_SIGNER)
    session.commit()
    receipt = make_receipt(session, aid, out.index)
    assert receipt.entry_hash == out.entry_hash and len(receipt.tracker) == 24
    assert Receipt.from_json(receipt.to_json()) == receipt
    # later: more entries, a new checkpoint; the receipt still proves inclusion
    session.commit()
    begin_write(session)
    enrolment.revoke_key(session, aid, LOG_SIGNER, kid, "phone lost", now=DURING)
    checkpoints.issue_checkpoint(session, aid, LOG_SIGNER)
    session.commit()
    newest, proof = receipt_update(session, aid, receipt)
    assert (
        verify_receipt(receipt, newest, proof, LOG_SIGNER.verifier).size
        == logstore.get_head(session, aid).size
    )
    with pytest.raises(ReceiptError):
        verify_receipt(
            Receipt(receipt.index + 1, receipt.entry_hash, receipt.checkpoint, receipt.proof),
            newest,
            proof,
            LOG_SIGNER.verifier,
        )
    with pytest.raises(BallotError, match="revoked"):
        store_ballot(session, aid, origin, heads[0], k, 3, {"1": "agree"})


def test_close_and_result(session, log) -> None:
    aid, origin, heads = log
    assert checkpoints.latest(session, aid).size == 1  # signed at publication
    session.commit()
    begin_write(session)
    entries.append_closing(session, aid, now=DURING, signer=LOG_SIGNER)
    assert checkpoints.latest(session, aid).size == 2  # and when voting closes
    with pytest.raises(LogStateError, match="already closed"):
        entries.append_closing(session, aid, now=DURING)
    session.commit()
    begin_write(session)
    k, der, _ = device()
    with pytest.raises(BallotError, match="closed"):
        enrolment.enroll_key(session, aid, LOG_SIGNER, heads[0], der, voter="v", now=DURING)
    session.rollback()
    kinds = session.scalars(select(LedgerEntry.kind).where(LedgerEntry.assembly_id == aid)).all()
    assert kinds == ["assembly.published", CLOSED]


def test_cosignatures_are_verified_and_served(session, log) -> None:
    aid, _, _ = log
    begin_write(session)
    row = checkpoints.issue_checkpoint(session, aid, LOG_SIGNER)
    checkpoints.add_witness(session, WITNESS.verifier.vkey)
    session.commit()
    text = parse_note(row.note).text
    line = cosign(text, WITNESS, 1_772_323_200).line()
    begin_write(session)
    with pytest.raises(CosignatureError):
        bad = line[:-6] + ("A" if line[-6] != "A" else "B") + line[-5:]
        checkpoints.add_cosignature(session, aid, row.size, bad)
    checkpoints.add_cosignature(session, aid, row.size, line)
    session.commit()
    served = checkpoints.cosigned_note(session, row)
    assert served.endswith(line) and served.startswith(row.note)
    assert [v.name for v in checkpoints.witnesses_of(session, aid)] == [WITNESS.name]
    with pytest.raises(CosignatureError, match="no new"):
        checkpoints.add_cosignature(session, aid, row.size, line)


def test_committee_entries_and_the_bundle_verifies(session, log, tmp_path) -> None:
    """Paper ballots, a proxy, a representative and a void through the stored writer;
    the exported bundle then passes the offline verifier (server and verifier agree)."""
    from ledger.ballots import new_nonce
    from ledger.errors import SignatureError
    from ledger.kinds import PAPER_BALLOT, PROXY_REGISTERED, REPRESENTATIVE_SET, VOIDED
    from voting.tally import tally

    aid, origin, heads = log
    committee, committee_spki, committee_id = device()
    begin_write(session)
    enrolment.enroll_official(session, aid, LOG_SIGNER, committee_spki, "staff-1", now=DURING)
    session.commit()

    def official(kind, **fields):
        payload = {"origin": origin, "official": committee_id, "nonce": new_nonce(), **fields}
        return payload, committee_sign(committee, kind, payload)

    begin_write(session)
    p, s = official(
        PAPER_BALLOT, head=heads[1], seq=1, choices={"1": "agree"}, scan_sha256="cd" * 32
    )
    writer.enter_paper_ballot(session, aid, p, s, now=DURING)
    rogue, _, rogue_id = device()
    p2 = {**p, "official": rogue_id, "seq": 2}
    with pytest.raises(SignatureError):
        writer.enter_paper_ballot(
            session, aid, p2, committee_sign(rogue, PAPER_BALLOT, p2), now=DURING
        )
    session.commit()

    begin_write(session)
    p, s = official(PROXY_REGISTERED, head=heads[2], agent="agent-7", evidence_sha256="ef" * 32)
    entries.register_proxy(session, aid, p, s, now=DURING)
    agent_key, agent_spki, _ = device()
    enrolment.enroll_key(
        session,
        aid,
        LOG_SIGNER,
        heads[2],
        agent_spki,
        role="proxy",
        agent="agent-7",
        voter="agent-7",
        now=DURING,
    )
    p, s = official(REPRESENTATIVE_SET, head=heads[0], voter="co-owner-b")
    entries.set_representative(session, aid, p, s, now=DURING)
    owner_a, spki_a, _ = device()
    owner_b, spki_b, _ = device()
    enrolment.enroll_key(session, aid, LOG_SIGNER, heads[0], spki_a, voter="co-owner-a", now=DURING)
    enrolment.enroll_key(session, aid, LOG_SIGNER, heads[0], spki_b, voter="co-owner-b", now=DURING)
    session.commit()
    store_ballot(session, aid, origin, heads[2], agent_key, 1, {"1": "oppose"})
    with pytest.raises(CastRefused, match="co-owner"):
        store_ballot(session, aid, origin, heads[0], owner_a, 1, {"1": "agree"})
    wrong = store_ballot(session, aid, origin, heads[0], owner_b, 1, {"1": "agree", "2": ["乙"]})
    session.commit()
    begin_write(session)
    p, s = official(VOIDED, target=wrong.index, reason="cast on the wrong unit")
    entries.void_entry(session, aid, p, s, now=DURING)
    session.commit()
    store_ballot(session, aid, origin, heads[0], owner_b, 2, {"2": ["甲"]})
    votes = writer.counted_votes(session, aid)
    assert {k: getattr(v, "value", None) for k, v in votes.items() if k[1] == "1"} == {
        (heads[1], "1"): "agree",
        (heads[2], "1"): "oppose",
    }

    adef, roster = published(session, aid)
    report = publish_and_verify(
        session, aid, tally(roster, adef.items.values(), votes, adef.settings).to_json(), tmp_path)
    assert report.valid, {k: v for k, v in report.checks.items() if v}
    assert report.info["ballots"] == 4 and report.info["result_published"]
    # the bundle names the version that wrote it (producer.json, bound by the MANIFEST)
    from ownervote import __version__

    assert report.info["producer"] == {"name": "ownervote", "version": __version__}


def test_concurrent_writers_are_serialised(engine, log) -> None:
    """Two sessions appending at once (threads): the per-log lock keeps one chain."""
    import threading

    from ownervote.db import make_session_factory

    aid, origin, heads = log
    factory = make_session_factory(engine)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            with factory() as s:
                for i in range(8):
                    begin_write(s)
                    _, der, _ = device()
                    enrolment.enroll_key(
                        s, aid, LOG_SIGNER, heads[(n + i) % 4], der, voter=f"t{n}-{i}", now=DURING
                    )
                    s.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with factory() as s:
        entries = list(logstore.iter_entries(s, aid))
        head = logstore.get_head(s, aid)
        assert len(entries) == head.size == 1 + 3 * 8
        assert bytes(head.root) == merkle.root(entries)
        for i in range(1, len(entries)):
            assert logstore.parse_entry(entries[i], i).prev == merkle.leaf_hash(entries[i - 1])
