"""Group commit for ballots: one writer transaction, one checkpoint, one fsync per batch.

A log has one writer at a time, and a receipt may be handed out only once the
ballot's commit is durable, so without batching every ballot pays the whole
lock → checks → append → sign → commit → fsync cycle alone, one after the
other, and a log can take no more ballots per second than the disk can fsync.
Here the request threads of a process that cast into the same log meet in a
queue; one of them (the *leader*) takes every ballot queued so far (up to
:data:`MAX_BATCH`) and, in one transaction under the log's lock:

1. checks each ballot exactly as :func:`ledger.store.writer.cast_ballot` does
   (:func:`~ledger.store.writer.check_ballot`) — a refused ballot writes nothing and
   gets its own error; the next ballot is checked against the log *including*
   the ballots appended before it in the batch;
2. appends each accepted ballot (:func:`~ledger.store.writer.append_ballot`);
3. signs one checkpoint covering them all and builds every receipt;
4. commits.  Only after the commit returned are the receipts handed to their
   requests; if anything fails (the database went away, the commit failed), no
   ballot of the batch is acknowledged and each request gets the error (the web
   layer answers 503 "retry": a retried ballot is either in the log already —
   then its number is taken — or it is appended then).

An optional *gate* (:attr:`Sequencer.gate`, set by the web layer to count each device
key's ballots against its throttle) sees the batch's ballots whose signatures
were checked, before the lock, and may refuse some of them: the requests of a
batch are counted in one step, not one round trip to the counter each.

Leadership passes on after each batch: the leader answers its own request as
soon as its batch is committed and wakes the oldest waiting request to lead the
next one, so no request serves others indefinitely.  Several processes (gunicorn
workers, app servers) each batch their own requests and take turns on the
log's lock.  The entries, checkpoints and receipts are the same as with
one-ballot transactions; only the number of checkpoints differs (one per batch).
"""

from __future__ import annotations

import sys
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ledger.allowance import Window
from ledger.errors import LedgerError
from ledger.note import Signer
from ledger.receipts import Receipt
from ledger.store import castpath, logstore
from ledger.store.checkpoints import issue_checkpoint
from ledger.store.receipts import make_receipt
from ledger.store.trustees import preverify_proofs
from ledger.store.writer import (
    append_ballot,
    ballot_message,
    check_ballot,
    load_device_keys,
    verify_if_key_known,
)
from voting.errors import VotingError

#: Most ballots in one transaction (bounds the lock hold time and a failed batch).
MAX_BATCH = 64
#: Longest a leader waits for ready requests to join its batch under gevent (seconds).
GATHER_SECONDS = 0.005
#: How long a request waits for its batch before giving up (seconds).
WAIT_SECONDS = 60.0

#: The ballots' payloads in -> per ballot, the refusal to raise for it, or None to admit it.
Gate = Callable[[list[dict[str, Any]]], list[BaseException | None]]


@dataclass
class _Item:
    payload: dict[str, Any]
    sig: bytes
    signer: Signer
    message: bytes  # the signed message, shape checked before queueing
    verified: bool = False  # its signature too (the device key was known)
    wake: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    done: bool = False
    appended: logstore.Appended | None = None
    receipt: Receipt | None = None
    error: BaseException | None = None

    def finish(self, error: BaseException | None = None, appended=None, receipt=None) -> None:
        self.error, self.appended, self.receipt, self.done = error, appended, receipt, True
        self.wake.set()


class Sequencer:
    """Batches the ballots of one process per log (see the module docstring)."""

    def __init__(self, factory: sessionmaker | Callable[[], Session]) -> None:
        self.factory = factory
        # one session per log, reused batch after batch by whichever request leads it (one at
        # a time), with its head kept: the next batch refreshes it instead of building it
        self._sessions: dict[int, tuple[Session, list[Any]]] = {}
        self._lock = threading.Lock()
        self._queues: dict[int, list[_Item]] = {}
        self._leading: set[int] = set()
        self.gate: Gate | None = None
        #: the casting allowance of each head (:mod:`ledger.allowance`), checked under the
        #: lock from the head's own ballots in the log; empty: none
        self.allowance: tuple[Window, ...] = ()
        self.batches = 0
        self.ballots = 0

    def cast(self, assembly_id: int, payload: dict[str, Any], sig: bytes,
             signer: Signer) -> tuple[logstore.Appended, Receipt]:
        """Append one ballot (in some batch) and return its entry and receipt.

        Raises what :func:`ledger.store.writer.cast_ballot` raises for this ballot, or the
        database error that failed its batch.  The request's thread checks the shape,
        and the signature when the device key is known to this process; the leader
        checks the others' signatures before taking the lock.
        """
        message = ballot_message(payload, sig)
        item = _Item(payload, sig, signer, message,
                     verified=verify_if_key_known(payload["key"], message, sig))
        preverify_proofs(assembly_id, payload, message)  # secret: in this thread, unlocked
        with self._lock:
            self._queues.setdefault(assembly_id, []).append(item)
            lead = assembly_id not in self._leading
            if lead:
                self._leading.add(assembly_id)
        if not lead:
            if not item.wake.wait(WAIT_SECONDS):
                self._abandon(assembly_id, item)
            lead = item.lead and not item.done
        if lead:
            self._lead(assembly_id, item)
        if item.error is not None:
            raise item.error
        assert item.appended is not None and item.receipt is not None
        return item.appended, item.receipt

    def _abandon(self, assembly_id: int, item: _Item) -> None:
        with self._lock:
            queue = self._queues.get(assembly_id, [])
            if item in queue:
                queue.remove(item)
                item.finish(TimeoutError("the ballot waited too long for the log"))
        item.wake.wait()  # it was taken into a batch just now: wait for that batch

    def _lead(self, assembly_id: int, own: _Item) -> None:
        try:
            while True:
                _let_others_queue()
                with self._lock:
                    queue = self._queues.get(assembly_id, [])
                    batch, queue[:] = queue[:MAX_BATCH], queue[MAX_BATCH:]
                if batch:
                    self._run(assembly_id, batch)
                with self._lock:
                    queue = self._queues.get(assembly_id, [])
                    if not queue:
                        self._leading.discard(assembly_id)
                        return
                    if own.done:  # hand over to the oldest waiting request
                        queue[0].lead = True
                        queue[0].wake.set()
                        return
        except BaseException:
            with self._lock:
                self._leading.discard(assembly_id)
                waiting = self._queues.get(assembly_id, [])
                if waiting:
                    waiting[0].lead = True
                    waiting[0].wake.set()
            raise

    @staticmethod
    def _verify(session: Session, assembly_id: int, batch: list[_Item]) -> None:
        """Signatures by keys this process had not seen: their SPKIs in one read, checked
        before the writer lock is taken (a refused one is answered now)."""
        unknown = [item for item in batch if not item.verified]
        if not unknown:
            return
        load_device_keys(session, assembly_id, [item.payload["key"] for item in unknown])
        if session.get_bind().dialect.name == "sqlite":
            # end the read: the writer's transaction must begin as BEGIN IMMEDIATE.  (On
            # PostgreSQL it goes on into the writer's: the lock is taken, and every read
            # under it sees the log as of then — each statement takes its own snapshot.)
            session.commit()
        for item in unknown:
            try:
                verify_if_key_known(item.payload["key"], item.message, item.sig)
            except LedgerError as exc:
                item.finish(exc)

    def _admit(self, batch: list[_Item]) -> None:
        """The gate's verdict on the ballots still standing (one call for the batch)."""
        todo = [item for item in batch if not item.done]
        if self.gate is None or not todo:
            return
        for item, refusal in zip(todo, self.gate([i.payload for i in todo]), strict=True):
            if refusal is not None:
                item.finish(refusal)

    def _transaction(self, session: Session, assembly_id: int, batch: list[_Item],
                     keep: list[Any]
                     ) -> tuple[list[tuple[_Item, logstore.Appended]], list[Receipt]]:
        """Check and append the batch, sign one checkpoint, build the receipts, commit.

        ``keep`` holds the log's head object between batches (the session's identity map
        holds it weakly), so the next batch refreshes it instead of building it."""
        accepted: list[tuple[_Item, logstore.Appended]] = []
        receipts: list[Receipt] = []
        todo = [item for item in batch if not item.done]  # not refused before the lock
        logstore.begin_write(session)
        logstore.lock_head_for_batch(session, assembly_id, (i.payload["head"] for i in todo),
                                     (i.payload["key"] for i in todo))
        castpath.defer_writes(session)  # the rows go out with the checkpoint
        for item in todo:
            try:
                checked = check_ballot(session, assembly_id, item.payload, item.sig,
                                       message=item.message, allowance=self.allowance)
            except (LedgerError, VotingError) as exc:  # refused: nothing written
                item.finish(exc)
                continue
            accepted.append((item, append_ballot(session, assembly_id, item.payload, item.sig,
                                                 checked)))
        if accepted:
            issue_checkpoint(session, assembly_id, batch[0].signer)
            receipts = [make_receipt(session, assembly_id, a.index) for _, a in accepted]
        keep[:] = [logstore.lock_head(session, assembly_id)]  # already locked: no statement
        session.commit()
        return accepted, receipts

    def _session(self, assembly_id: int) -> tuple[Session, list[Any]]:
        with self._lock:
            found = self._sessions.get(assembly_id)
            if found is None:
                idle = [a for a in self._sessions if a not in self._leading]
                if len(self._sessions) >= 64 and idle:
                    self._sessions.pop(idle[0])[0].close()
                found = self._sessions[assembly_id] = (self.factory(), [])
            return found

    def _drop(self, assembly_id: int) -> None:
        with self._lock:
            found = self._sessions.pop(assembly_id, None)
        if found is not None:
            try:
                found[0].close()
            except Exception:  # noqa: BLE001 - its connection may be dead; the pool copes
                pass

    def _run(self, assembly_id: int, batch: list[_Item]) -> None:
        session, keep = self._session(assembly_id)
        try:
            self._verify(session, assembly_id, batch)
            self._admit(batch)
            if all(item.done for item in batch):  # every ballot refused already
                session.rollback()  # end _verify's read (PostgreSQL keeps it open)
                return
            accepted, receipts = self._transaction(session, assembly_id, batch, keep)
        except BaseException as exc:  # rolled back: nothing of the batch is acknowledged
            self._drop(assembly_id)
            for item in batch:
                if not item.done:
                    item.finish(exc)
            if not isinstance(exc, Exception):
                raise
            return
        self.batches += 1
        self.ballots += len(accepted)
        for (item, appended), receipt in zip(accepted, receipts, strict=True):
            item.finish(appended=appended, receipt=receipt)


def _let_others_queue() -> None:
    """Under gevent (``ownervote serve``'s default worker) requests are greenlets that run
    one at a time, and none of a batch's work yields to the others, so a leader that
    started at once would take a batch of one.  Waiting until the event loop is idle lets
    the requests whose bytes have already arrived be parsed and queue first — for at most
    :data:`GATHER_SECONDS`, because under steady load the loop is never idle and every
    ballot waits for the leader.  (One bare turn of the loop, ``sleep(0)``, gathered a
    third fewer ballots per commit in bench/cast.py.)  Threads need nothing: the others
    queue while the leader works."""
    monkey = sys.modules.get("gevent.monkey")
    if monkey is not None and monkey.is_module_patched("threading"):
        gevent = sys.modules["gevent"]
        with gevent.Timeout(GATHER_SECONDS, False):
            gevent.idle()


def visible_log(session: Session, assembly_id: int, visible: tuple[str, ...]) -> bool:
    """Has the assembly a log and a status in ``visible``?  One indexed read, no ORM object;
    a yes is remembered per process (:data:`ledger.store.castpath.VISIBLE_LOGS`), because
    an assembly's log, once published, stays (and a lifecycle that only moves forward
    keeps it in the owners' statuses)."""
    engine = session.get_bind().engine
    known = castpath.VISIBLE_LOGS.setdefault(engine, set())
    if assembly_id in known:
        return True
    if castpath.read_status_with_log(session, assembly_id) not in visible:
        return False
    known.add(assembly_id)
    return True


_SEQUENCERS: weakref.WeakKeyDictionary[Engine, Sequencer] = weakref.WeakKeyDictionary()
_CREATE = threading.Lock()


def for_engine(engine: Engine) -> Sequencer:
    """The process's sequencer for this database (one per engine)."""
    seq = _SEQUENCERS.get(engine)
    if seq is None:
        with _CREATE:
            seq = _SEQUENCERS.get(engine)
            if seq is None:
                from ownervote.db import make_session_factory

                seq = _SEQUENCERS[engine] = Sequencer(make_session_factory(engine))
    return seq
