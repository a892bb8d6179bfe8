"""Safe sequencing on both databases: one writer per log, logs in parallel, group commit.

* PostgreSQL: a writer holding one assembly's log does not hold up another
  assembly's writer (per-log row lock), and does hold up a second writer of the
  same log (checked with ``lock_timeout``: the database refuses to wait, so the
  test never depends on timing);
* the sequencer (``ledger.store.sequencer``): ballots cast from many threads at once
  all land, in one chain, with fewer checkpoints than ballots when batched; a
  refused ballot in a batch refuses only itself; a failure before the commit
  acknowledges nothing of the batch and writes nothing;
* the casting path's plain SQL writes the same values the ORM reads back.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select, text

from ledger import merkle, timestamps
from ledger.errors import BallotError
from ledger.keys import load_or_create_log_key, log_key_name
from ledger.receipts import verify_receipt
from ledger.store import castpath, logstore, sequencer, writer
from ledger.store.models import Checkpoint, LedgerEntry
from ledger.store.rawcursor import RawCursor
from ledger.store.receipts import receipt_update
from ownervote.db import make_session_factory
from tests.support.castload import prepare, presign


@pytest.fixture(autouse=True)
def _cold_process():
    castpath.reset()  # each test starts with the casting path's caches empty


@pytest.fixture
def opened(ov_settings):
    """Two open assemblies on one roster of 12 heads, keys enrolled."""
    return prepare(ov_settings, 12, assemblies=2)


def _ballot(body: bytes):
    import json

    from ledger import canonical

    data = json.loads(body)
    return data["payload"], canonical.unb64url(data["signature"])


def _signer(ov_settings):
    return load_or_create_log_key(ov_settings.log_key_file, log_key_name(ov_settings.base_url))


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_logs_append_in_parallel_one_log_has_one_writer(engine, opened, backend) -> None:
    first, second = opened
    factory = make_session_factory(engine)
    work1 = presign(first, 2)
    work2 = presign(second, 1)
    p1, s1 = _ballot(next(iter(work1.values()))[0])
    p2, s2 = _ballot(next(iter(work2.values()))[0])
    holder = factory()
    try:
        logstore.begin_write(holder)
        writer.cast_ballot(holder, first.assembly_id, p1, s1)  # holds log 1, not committed
        with factory() as other:
            other.execute(text("SET LOCAL lock_timeout = '20s'"))
            writer.cast_ballot(other, second.assembly_id, p2, s2)  # log 2: not blocked
            other.commit()
        p3, s3 = _ballot(list(work1.values())[1][0])
        with factory() as same:
            same.execute(text("SET LOCAL lock_timeout = '200ms'"))
            with pytest.raises(Exception, match="lock timeout|LockNotAvailable|canceling"):
                writer.cast_ballot(same, first.assembly_id, p3, s3)  # log 1: must wait
            same.rollback()
    finally:
        holder.rollback()
        holder.close()
    with factory() as check:
        n = check.scalar(select(func.count()).select_from(LedgerEntry).where(
            LedgerEntry.assembly_id == second.assembly_id, LedgerEntry.kind == "ballot"))
        assert n == 1


def test_sequencer_batches_many_threads_into_one_chain(engine, opened, ov_settings) -> None:
    target = opened[0]
    seq = sequencer.Sequencer(make_session_factory(engine))
    signer = _signer(ov_settings)
    work = presign(target, 36)  # 12 heads x 3 ballots (revotes)
    results: dict[tuple[str, int], object] = {}
    errors: list[BaseException] = []

    def lane(head: str, bodies: list[bytes]) -> None:
        for n, body in enumerate(bodies, start=1):
            p, s = _ballot(body)
            try:
                results[(head, n)] = seq.cast(target.assembly_id, p, s, signer)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    threads = [threading.Thread(target=lane, args=item) for item in work.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:3]
    assert len(results) == 36
    assert seq.ballots == 36 and 1 <= seq.batches <= 36
    with make_session_factory(engine)() as session:
        entries = list(logstore.iter_entries(session, target.assembly_id))
        assert merkle.root(entries) == bytes(logstore.get_head(session, target.assembly_id).root)
        newest = session.scalars(select(Checkpoint).where(
            Checkpoint.assembly_id == target.assembly_id).order_by(Checkpoint.size.desc())).first()
        for (_head, _n), (appended, receipt) in results.items():
            assert merkle.leaf_hash(entries[appended.index]) == receipt.entry_hash
            note, proof = receipt_update(session, target.assembly_id, receipt)
            verify_receipt(receipt, note, proof, target.log_vkey)
        assert newest.size == len(entries)


def test_a_refused_ballot_refuses_only_itself(engine, opened, ov_settings) -> None:
    target = opened[0]
    seq = sequencer.Sequencer(make_session_factory(engine))
    signer = _signer(ov_settings)
    work = presign(target, 12)
    heads = sorted(work)
    good = _ballot(work[heads[0]][0])
    replay_of = _ballot(work[heads[1]][0])
    seq.cast(target.assembly_id, *replay_of, signer)
    barrier = threading.Barrier(2)
    outcome: dict[str, object] = {}

    def run(name: str, ballot) -> None:
        barrier.wait()
        try:
            outcome[name] = seq.cast(target.assembly_id, *ballot, signer)
        except BaseException as exc:  # noqa: BLE001
            outcome[name] = exc

    threads = [threading.Thread(target=run, args=("good", good)),
               threading.Thread(target=run, args=("replay", replay_of))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert isinstance(outcome["replay"], BallotError), outcome["replay"]
    assert isinstance(outcome["good"], tuple)


def test_a_failed_batch_acknowledges_and_writes_nothing(engine, opened, ov_settings,
                                                        monkeypatch) -> None:
    target = opened[0]
    seq = sequencer.Sequencer(make_session_factory(engine))
    signer = _signer(ov_settings)
    p, s = _ballot(next(iter(presign(target, 1).values()))[0])

    def broken(*_a, **_k):
        raise RuntimeError("the disk is full")

    with make_session_factory(engine)() as session:
        before = logstore.get_head(session, target.assembly_id).size
    monkeypatch.setattr(sequencer, "make_receipt", broken)
    with pytest.raises(RuntimeError, match="disk is full"):
        seq.cast(target.assembly_id, p, s, signer)
    monkeypatch.undo()
    with make_session_factory(engine)() as session:
        assert logstore.get_head(session, target.assembly_id).size == before
    appended, receipt = seq.cast(target.assembly_id, p, s, signer)  # the retry lands
    assert appended.index == before and receipt.index == before


def test_plain_sql_writes_read_back_through_the_orm(engine, opened, ov_settings) -> None:
    target = opened[0]
    p, s = _ballot(next(iter(presign(target, 1).values()))[0])
    factory = make_session_factory(engine)
    t = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)).replace(microsecond=123000)
    with factory() as session:
        logstore.begin_write(session)
        head = logstore.lock_head(session, target.assembly_id)
        t = max(t, timestamps.ms_to_datetime(head.last_time_ms))
        out = writer.cast_ballot(session, target.assembly_id, p, s, now=t)
        session.commit()
    with factory() as session:
        row = session.scalars(select(LedgerEntry).where(
            LedgerEntry.assembly_id == target.assembly_id, LedgerEntry.index == out.index)).one()
        assert row.created_at == t and row.seq == 1 and row.head_id == p["head"]
        assert bytes(row.entry_hash) == out.entry_hash and bytes(row.body) == out.data
        head = logstore.get_head(session, target.assembly_id)
        assert head.size == out.size and bytes(head.root) == out.root
        assert head.last_time_ms == timestamps.now_ms(t)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_sqlite_writer_gate_opens_when_a_session_is_dropped(engine, backend) -> None:
    """A writer session dropped mid-transaction (never committed or closed) does not keep
    every other writer waiting: returning its connection to the pool opens the gate."""
    import gc

    factory = make_session_factory(engine)
    dropped = factory()
    logstore.begin_write(dropped)
    dropped.execute(text("SELECT 1"))
    del dropped
    gc.collect()
    done = threading.Event()

    def writer_after() -> None:
        with factory() as s:
            logstore.begin_write(s)
            s.commit()
        done.set()

    t = threading.Thread(target=writer_after, daemon=True)
    t.start()
    assert done.wait(60), "the gate stayed closed after its session was dropped"


def _items(target, bodies: list[bytes], signer) -> list[sequencer._Item]:
    """Ballots as the sequencer queues them (shape and, with a known key, signature checked)."""
    items = []
    for body in bodies:
        p, s = _ballot(body)
        message = writer.ballot_message(p, s)
        items.append(sequencer._Item(p, s, signer, message,  # noqa: SLF001
                                     verified=writer.verify_if_key_known(p["key"], message, s)))
    return items


def _waits(monkeypatch) -> list[str]:
    """Record each statement the batch waits for: a plain statement, or a pipeline of them
    (one round trip on PostgreSQL), or the commit."""
    seen: list[str] = []
    depth = [0]

    def counted(name, method):
        def wrapper(self, *args, **kwargs):
            if depth[0] == 0:
                seen.append(name if name != "_exec" else str(args[0]).split()[0])
            depth[0] += 1
            try:
                return method(self, *args, **kwargs)
            finally:
                depth[0] -= 1
        return wrapper

    for name in ("_exec", "reads", "send_pending"):
        monkeypatch.setattr(RawCursor, name, counted(name, getattr(RawCursor, name)))
    monkeypatch.setattr(RawCursor, "pipelined", _one_wait(RawCursor.pipelined, seen, depth))
    return seen


def _one_wait(pipelined, seen, depth):
    import contextlib

    @contextlib.contextmanager
    def wrapper(self):
        outer = depth[0] == 0
        if outer:
            seen.append("pipeline")
        depth[0] += 1
        try:
            with pipelined(self):
                yield
        finally:
            depth[0] -= 1
    return wrapper


def test_a_batch_waits_for_the_database_a_fixed_number_of_times(engine, opened, ov_settings,
                                                                monkeypatch) -> None:
    """Under the log's lock every other writer waits, so a batch's round trips must not grow
    with its size: the lock and every read in one pipeline (castpath.read_batch), the rows with
    the checkpoint, then the commit — for 1 ballot or for 12, first votes or revotes."""
    target = opened[0]
    seq = sequencer.Sequencer(make_session_factory(engine))
    signer = _signer(ov_settings)
    work = presign(target, 25)  # 12 heads: first votes, revotes, and one head a third time
    rounds = [[b[i] for b in work.values() if len(b) > i] for i in range(3)]
    with make_session_factory(engine)() as session:  # device keys known (read before the lock)
        writer.load_device_keys(session, target.assembly_id,
                                [_ballot(b[0])[0]["key"] for b in work.values()])
    seq._run(target.assembly_id, _items(target, rounds[0][:1], signer))  # noqa: SLF001
    counts = []
    for bodies in (rounds[0][1:], rounds[1], rounds[2]):
        seen = _waits(monkeypatch)
        items = _items(target, bodies, signer)
        seq._run(target.assembly_id, items)  # noqa: SLF001
        monkeypatch.undo()
        assert all(i.error is None and i.receipt is not None for i in items), \
            [i.error for i in items if i.error][:3]
        counts.append((len(items), seen))
    assert [n for n, _ in counts] == [11, 12, 1]
    for _n, seen in counts:
        assert seen == ["reads", "INSERT"], seen  # + the commit (SQLAlchemy's)


def test_a_head_twice_in_one_batch_is_checked_against_its_first_ballot(
        engine, opened, ov_settings) -> None:
    """The batch's reads are kept current by its own appends: a head's second ballot in the
    same batch needs the next number (a replay of the first is refused, alone)."""
    target = opened[0]
    seq = sequencer.Sequencer(make_session_factory(engine))
    signer = _signer(ov_settings)
    head = sorted(target.keys)[0]
    first, second = presign(target, 2, heads=[head])[head]
    items = _items(target, [first, first, second], signer)
    seq._run(target.assembly_id, items)  # noqa: SLF001
    assert items[0].error is None and items[2].error is None
    assert isinstance(items[1].error, BallotError) and "next" in str(items[1].error)
    assert items[2].appended.index == items[0].appended.index + 1
    with make_session_factory(engine)() as session:  # the batch's rows, as the ORM reads them
        for item in (items[0], items[2]):
            row = session.scalars(select(LedgerEntry).where(
                LedgerEntry.assembly_id == target.assembly_id,
                LedgerEntry.index == item.appended.index)).one()
            assert bytes(row.body) == item.appended.data
            assert bytes(row.entry_hash) == item.appended.entry_hash
            assert (row.head_id, row.seq, row.kind) == (head, item.payload["seq"], "ballot")
            entry = logstore.read_entry(session, target.assembly_id, row.index)
            assert timestamps.now_ms(row.created_at) == entry.time


def test_the_head_row_carries_the_trees_peaks(engine, opened, ov_settings) -> None:
    """The lock's read of the head row gives the peaks the next append folds (no tree_node
    read); for every size they are exactly the stored nodes treemath says make the root,
    and peaks that do not fold to the root are not used."""
    from ledger import treemath

    target = opened[0]
    factory = make_session_factory(engine)
    bodies = [b[0] for b in presign(target, 12).values()]
    for body in [None, *bodies]:
        if body is not None:
            with factory() as session:
                logstore.begin_write(session)
                writer.cast_ballot(session, target.assembly_id, *_ballot(body))
                session.commit()
        with factory() as session:
            logstore.begin_write(session)
            head = logstore.lock_head(session, target.assembly_id)
            peaks = castpath.memo(session).nodes[target.assembly_id]
            wanted = treemath.peaks(head.size)
            assert sorted(peaks) == sorted(wanted)
            assert peaks == castpath.read_nodes(session, target.assembly_id, wanted)
            assert treemath.fold([peaks[n] for n in wanted]) == bytes(head.root)
            session.rollback()
    with factory() as session:  # a head row whose peaks do not fold to its root
        logstore.begin_write(session)
        session.execute(text("UPDATE log_head SET peaks = :p WHERE assembly_id = :a"),
                        {"p": bytes(32) * len(wanted), "a": target.assembly_id})
        logstore.lock_head(session, target.assembly_id)
        assert not castpath.memo(session).nodes.get(target.assembly_id)
        session.rollback()
    last = next(iter(presign(target, 13, seed=5, heads=[sorted(target.keys)[0]]).values()))[1]
    with factory() as session:  # a log from before peaks were kept (NULL): nodes are read
        logstore.begin_write(session)
        session.execute(text("UPDATE log_head SET peaks = NULL WHERE assembly_id = :a"),
                        {"a": target.assembly_id})
        writer.cast_ballot(session, target.assembly_id, *_ballot(last))
        session.commit()
    with factory() as session:
        head = logstore.get_head(session, target.assembly_id)
        entries = list(logstore.iter_entries(session, target.assembly_id))
        assert merkle.root(entries) == bytes(head.root)
        hashes = [head.peaks[i:i + 32] for i in range(0, len(head.peaks), 32)]
        assert treemath.fold(hashes) == bytes(head.root)  # kept again from this append on


def test_requests_waiting_for_a_batch_hold_no_connection(ov_settings, opened) -> None:
    """The batch's leader takes a pooled connection; the requests waiting for it must not
    hold one.  Four first ballots at once (the process has not yet seen the log, so each
    reads it) on a pool of four connections: all are answered, none waits for the pool."""
    from ownervote.db import make_engine
    from web import create_app

    target = opened[0]
    app = create_app(ov_settings, TESTING=True, RATELIMIT_ENABLED=False)
    app.extensions["ownervote.engine"].dispose()
    small = make_engine(ov_settings.database_url, pool_size=4, max_overflow=0, pool_timeout=3)
    app.extensions["ownervote.engine"] = small
    app.extensions["ownervote.sessionmaker"] = make_session_factory(small)
    bodies = [b[0] for b in presign(target, 4).values()]
    together = threading.Barrier(4)
    seen = sequencer.visible_log
    answers: list[int] = []

    def first_look(session, assembly_id, visible):  # all four have read before any goes on
        found = seen(session, assembly_id, visible)
        together.wait(30)
        return found

    def post(body: bytes) -> None:
        r = app.test_client().post(f"/api/v1/assemblies/{target.assembly_id}/ballots",
                                   data=body, content_type="application/json")
        answers.append(r.status_code)

    castpath.VISIBLE_LOGS.pop(small, None)  # a new process's first requests
    try:
        sequencer.visible_log = first_look
        threads = [threading.Thread(target=post, args=(b,)) for b in bodies]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        sequencer.visible_log = seen
        small.dispose()
    assert sorted(answers) == [201] * 4, answers
