"""The witness's HTTP service (web.witness over ownervote.services.witness): the C2SP
tlog-witness status codes, persistence, evidence, and the atomic compare-and-persist."""

from __future__ import annotations

import threading

import pytest

from ledger.note import parse_note, verify_cosignature
from ownervote.services.witness import WitnessService
from tests.support.witnessing import ToyLog, witness_key, write_witness_files
from web.witness import create_witness_app


@pytest.fixture
def log() -> ToyLog:
    log = ToyLog()
    log.grow(3)
    return log


@pytest.fixture
def witness(tmp_path, log):
    key = witness_key()
    paths = write_witness_files(tmp_path, log, key)
    return key, paths


def _client(paths):
    return create_witness_app(WitnessService.open(*paths)).test_client()


def test_the_witness_cosigns_and_remembers_across_restarts(witness, log) -> None:
    key, paths = witness
    answer = _client(paths).post("/add-checkpoint", data=log.body(0))
    assert answer.status_code == 200
    lines = answer.get_data(as_text=True)
    note = parse_note(log.signed() + lines)
    verify_cosignature(note.text, note.signatures[1], key.verifier)

    log.grow(4)
    restarted = _client(paths)  # a new process reads the state directory
    stale = restarted.post("/add-checkpoint", data=log.body(0))
    assert stale.status_code == 409
    assert stale.headers["Content-Type"] == "text/x.tlog.size"
    assert stale.get_data() == b"3\n"
    assert restarted.post("/add-checkpoint", data=log.body(3)).status_code == 200


@pytest.mark.parametrize("mutate, status", [
    (lambda body: body.replace(b"old 0", b"old 7"), 400),
    (lambda body: b"not a request", 400),
])
def test_bad_requests(witness, log, mutate, status) -> None:
    _key, paths = witness
    assert _client(paths).post("/add-checkpoint", data=mutate(log.body(0))).status_code == status


def test_unknown_origin_and_untrusted_key(witness, log) -> None:
    _key, paths = witness
    client = _client(paths)
    other = ToyLog(origin="elsewhere.example/a/assembly/1")
    other.grow(1)
    assert client.post("/add-checkpoint", data=other.body(0)).status_code == 404
    impostor = ToyLog()
    impostor.grow(1)
    assert client.post("/add-checkpoint", data=impostor.body(0)).status_code == 403


def test_only_post(witness) -> None:
    _key, paths = witness
    client = _client(paths)
    assert client.get("/add-checkpoint").status_code == 405
    assert "witness key:" in client.get("/").get_data(as_text=True)


def test_a_fork_is_refused_and_kept_as_evidence(witness, log, tmp_path) -> None:
    _key, paths = witness
    client = _client(paths)
    assert client.post("/add-checkpoint", data=log.body(0)).status_code == 200
    fork = ToyLog(signer=log.signer)  # the same log key, another history of size 3
    fork.entries = [b"a", b"b", b"c"]
    answer = client.post("/add-checkpoint", data=fork.body(3))
    assert answer.status_code == 409 and answer.get_data() == b"3\n"
    fork.grow(2)
    assert client.post("/add-checkpoint", data=fork.body(3)).status_code == 422
    evidence = sorted((paths[2] / "evidence").iterdir())
    assert len(evidence) == 2
    assert all(fork.origin in p.read_text() for p in evidence)
    # the record still holds the honest log's size and root
    assert WitnessService.open(*paths).state.latest(log.origin).size == 3


def test_the_body_is_bounded(witness) -> None:
    _key, paths = witness
    answer = _client(paths).post("/add-checkpoint", data=b"x" * 70_000)
    assert answer.status_code == 413


def test_racing_requests_never_roll_the_size_back(witness, log) -> None:
    """Many threads, each with its own service (its own file descriptors, as separate
    processes would have), submit checkpoints of growing sizes from the same old size:
    exactly one per old size wins, and the stored size only ever grows."""
    _key, paths = witness
    assert _client(paths).post("/add-checkpoint", data=log.body(0)).status_code == 200
    log.grow(40)
    sizes = list(range(4, 44))
    results: dict[int, int] = {}
    barrier = threading.Barrier(len(sizes))

    def submit(size: int) -> None:
        service = WitnessService.open(*paths)
        barrier.wait()
        results[size] = service.add_checkpoint(log.body(3, size)).status

    threads = [threading.Thread(target=submit, args=(s,)) for s in sizes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [s for s, status in results.items() if status == 200]
    assert len(winners) == 1, results
    assert all(status == 409 for s, status in results.items() if s not in winners)
    assert WitnessService.open(*paths).state.latest(log.origin).size == winners[0]


def test_a_misconfigured_witness_says_what_is_wrong(tmp_path, log) -> None:
    from ledger.errors import LedgerError

    paths = write_witness_files(tmp_path, log, logs_text="garbage\n")
    with pytest.raises(LedgerError, match="logs file line 1"):
        WitnessService.open(*paths)
