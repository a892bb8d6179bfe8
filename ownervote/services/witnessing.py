"""The log asks its witnesses for cosignatures itself (C2SP tlog-witness, client side).

``OWNERVOTE_WITNESSES`` names the witnesses (:func:`ledger.cosigning.parse_witness_list`);
each is registered (its key in the ``witness`` table) the first time it is used.  Every
timer tick, :func:`request_cosignatures` finds each log whose newest checkpoint a
configured witness has not cosigned yet (:func:`ledger.store.submissions.due`), leases
that pair to this worker, and POSTs ``add-checkpoint`` with the consistency proof from
the size the witness last cosigned.  A 409 answer gives the witness's size: the request
is sent again once with the proof from that size.  A 200 answer's cosignature is
verified and stored; anything else (unreachable, 4xx, 5xx, a bad answer) is recorded
and retried after a back-off (30 s, doubling, at most an hour:
:func:`ledger.cosigning.retry_delay`).

No transaction is open while a witness is being asked: the request is built in one
read, the answer stored in its own unit of work.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ledger.cosigning import (
    LEASE_SECONDS,
    WitnessEndpoint,
    parse_witness_list,
    read_cosignatures,
    read_size,
    request_body,
    retry_delay,
)
from ledger.errors import LedgerError
from ledger.store import checkpoints, logstore, submissions
from ownervote.services.unit_of_work import end_read, writing

log = logging.getLogger("ownervote.witnessing")

#: POST ``body`` to ``url``: the answer's status and body (raises ``OSError`` when the
#: witness cannot be reached).
Post = Callable[[str, bytes], tuple[int, bytes]]
TIMEOUT_SECONDS = 10


def http_post(url: str, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "text/plain; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
            return answer.status, answer.read(65536)
    except urllib.error.HTTPError as error:
        return error.code, error.read(65536)


@functools.cache
def endpoints(configured: str) -> tuple[WitnessEndpoint, ...]:
    """The witnesses of ``OWNERVOTE_WITNESSES`` (raises ``WitnessListError``)."""
    return parse_witness_list(configured)


@dataclass(frozen=True)
class Outcome:
    """One request to one witness for one log."""

    assembly_id: int
    witness: str
    size: int
    status: int | None  # the final HTTP status; None: unreachable
    error: str | None = None

    @property
    def cosigned(self) -> bool:
        return self.status == 200 and self.error is None


def _register(session: Session, witnesses: tuple[WitnessEndpoint, ...]) -> dict[int,
                                                                              WitnessEndpoint]:
    with writing(session):
        return {checkpoints.add_witness(session, w.verifier.vkey).id: w for w in witnesses}


def request_cosignatures(factory: sessionmaker, settings: object, now: dt.datetime | None = None,
                         post: Post = http_post) -> list[Outcome]:
    """Ask every configured witness to cosign every newest checkpoint it lacks."""
    configured = getattr(settings, "witnesses", "")
    if not configured:
        return []
    now = now or dt.datetime.now(dt.UTC)
    outcomes = []
    with factory() as session:
        by_id = _register(session, endpoints(configured))
        due = submissions.due(session, sorted(by_id), now)
        end_read(session)
        for pair in due:
            if not _claim(session, pair, now):
                continue
            outcome = _ask(session, by_id[pair.witness_id], pair, now, post)
            outcomes.append(outcome)
            if outcome.cosigned:
                log.info("witness %s cosigned assembly %s at size %s", outcome.witness,
                         outcome.assembly_id, outcome.size)
            else:
                log.warning("witness %s, assembly %s, size %s: %s %s", outcome.witness,
                            outcome.assembly_id, outcome.size, outcome.status, outcome.error)
    return outcomes


def _claim(session: Session, pair: submissions.Due, now: dt.datetime) -> bool:
    try:
        with writing(session):
            return submissions.claim(session, pair.witness_id, pair.assembly_id, now,
                                     dt.timedelta(seconds=LEASE_SECONDS))
    except IntegrityError:  # another worker inserted the record first: it has the pair
        return False


def _request(session: Session, assembly_id: int, old: int) -> tuple[int, str, bytes]:
    """The newest checkpoint's size and signed note, and the request from size ``old``."""
    row = checkpoints.latest(session, assembly_id)
    assert row is not None  # due() only lists logs with a checkpoint
    size, note = row.size, row.note
    proof = logstore.consistency_proof(session, assembly_id, old, size) if 0 < old < size else []
    end_read(session)
    return size, note, request_body(old, proof, note)


def _ask(session: Session, witness: WitnessEndpoint, pair: submissions.Due, now: dt.datetime,
         post: Post) -> Outcome:
    name = witness.verifier.name
    record = submissions.record_of(session, pair.witness_id, pair.assembly_id)
    old = record.known_size if record is not None else 0
    end_read(session)
    size = 0
    status: int | None = None
    for _attempt in range(2):
        size, note, body = _request(session, pair.assembly_id, old)
        if old > size:
            return _failed(session, pair, name, size, None, now, old,
                           f"the witness has cosigned size {old}, beyond the newest "
                           f"checkpoint {size}: compare the two views of the log")
        try:
            status, answer = post(witness.add_checkpoint_url, body)
        except OSError as exc:
            return _failed(session, pair, name, size, None, now, None, f"unreachable: {exc}")
        if status == 409:
            try:
                witness_size = read_size(answer)
            except LedgerError as exc:
                return _failed(session, pair, name, size, status, now, None, str(exc))
            if witness_size != old and witness_size <= size:
                old = witness_size  # send again with the proof from the witness's size
                continue
            return _failed(session, pair, name, size, status, now, witness_size,
                           f"the witness holds size {witness_size}: another view of the log?")
        if status != 200:
            text = answer[:200].decode("utf-8", errors="replace").strip()
            return _failed(session, pair, name, size, status, now, None, text)
        try:
            read_cosignatures(answer, note, witness.verifier)
            with writing(session):
                _store(session, pair.assembly_id, pair.witness_id, size, note + answer.decode())
                submissions.succeeded(session, pair.witness_id, pair.assembly_id, size, now)
        except LedgerError as exc:
            return _failed(session, pair, name, size, status, now, None, str(exc))
        return Outcome(pair.assembly_id, name, size, 200)
    return _failed(session, pair, name, size, status, now, None, "the witness's size moved")


def _store(session: Session, assembly_id: int, witness_id: int, size: int,
           cosigned: str) -> None:
    # Two workers may both have been answered (the lease ran out): store it once.
    if not checkpoints.cosigned_by(session, assembly_id, size, witness_id):
        checkpoints.add_cosignature(session, assembly_id, size, cosigned)


def _failed(session: Session, pair: submissions.Due, name: str, size: int,
            status: int | None, now: dt.datetime, known_size: int | None,
            error: str) -> Outcome:
    with writing(session):
        submissions.failed(session, pair.witness_id, pair.assembly_id, status=status,
                           error=error, delay=retry_delay, known_size=known_size, now=now)
    return Outcome(pair.assembly_id, name, size, status, error)
