"""The casting path behind one interface (``ledger.store.castpath``).

* :func:`~ledger.store.castpath.reset` empties every process cache the path keeps, and
  a ballot cast after it reads from the database (and parses, and verifies) again what
  a warm process would have found in them;
* no statement of the path spells an entry kind or a key kind: they are bound from
  ``ledger.entries`` and ``ledger.store.models``, and SQL is written in ``castpath``
  alone among the path's modules.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from ledger import canonical, kinds
from ledger.store import castpath, headstate, logstore, sequencer, writer
from ledger.store.models import KEY_KINDS
from ownervote.db import make_session_factory
from tests.support.castload import prepare, presign

ROOT = Path(__file__).resolve().parents[2]
#: the modules of the casting path (ledger.store.castpath's docstring)
PATH_MODULES = ("castpath", "rawcursor", "logstore", "writer", "headstate", "publish",
                "sequencer", "checkpoints", "receipts")
VISIBLE = ("noticed", "open", "closed", "tallied", "announced")


@pytest.fixture(autouse=True)
def _cold_process():
    castpath.reset()  # each test starts with the casting path's caches empty
    yield
    castpath.reset()


@pytest.fixture
def opened(ov_settings):
    return prepare(ov_settings, 3)[0]


def _ballot(body: bytes):
    data = json.loads(body)
    return data["payload"], canonical.unb64url(data["signature"])


def _cast(factory, assembly_id: int, body: bytes) -> list[str]:
    """Cast one ballot in its own writer transaction; on SQLite, the statements the
    database ran for it (its own trace of them, ORM and plain SQL alike)."""
    seen: list[str] = []
    with factory() as session:
        logstore.begin_write(session)
        driver = session.connection().connection.driver_connection
        traced = hasattr(driver, "set_trace_callback")
        if traced:
            driver.set_trace_callback(seen.append)
        try:
            writer.cast_ballot(session, assembly_id, *_ballot(body))
            session.commit()
        finally:
            if traced:
                driver.set_trace_callback(None)
    return seen


def _visible(factory, assembly_id: int) -> list[str]:
    seen: list[str] = []
    with factory() as session:
        driver = session.connection().connection.driver_connection
        driver.set_trace_callback(seen.append)
        try:
            assert sequencer.visible_log(session, assembly_id, VISIBLE)
        finally:
            driver.set_trace_callback(None)
    return seen


def _count(statements: list[str], pattern: str) -> int:
    return sum(1 for s in statements if re.search(pattern, s))


def test_reset_empties_every_cache(engine, opened) -> None:
    factory = make_session_factory(engine)
    work = presign(opened, 6)  # 3 heads, two ballots each: the second parses the first
    for round_ in range(2):
        for bodies in work.values():
            _cast(factory, opened.assembly_id, bodies[round_])
    with factory() as session:
        assert sequencer.visible_log(session, opened.assembly_id, VISIBLE)
    kept = [v for v in vars(castpath).values() if isinstance(v, castpath.BoundedCache)]
    assert {id(c) for c in kept} == {id(c) for c in castpath.CACHES}  # reset() knows them all
    sizes = castpath.cache_sizes()
    assert set(sizes) == {c.name for c in castpath.CACHES} | {"visible logs"}
    # (an open assembly fills all but the secret ballots' caches: test_secret_assembly)
    secret_only = {castpath.ELECTION_KEYS.name, castpath.ELECTION_HINTS.name,
                   castpath.VERIFIED_PROOFS.name}
    assert all(n > 0 for name, n in sizes.items() if name not in secret_only), sizes
    castpath.reset()
    assert set(castpath.cache_sizes().values()) == {0}


@pytest.mark.parametrize("backend", ["sqlite"])  # the database's own trace of its statements
def test_after_reset_a_cast_reads_the_database_again(engine, opened, monkeypatch) -> None:
    factory = make_session_factory(engine)
    a = opened.assembly_id
    work = presign(opened, 9)  # 3 heads, three ballots each
    first, second, third = sorted(work)
    for round_ in range(2):  # a warm process: each head's first ballot parsed at its second
        for head in (first, second, third):
            _cast(factory, a, work[head][round_])
    _visible(factory, a)
    parsed, verified = [], []
    parse, verify = headstate.parse_entry, writer.verify_signed
    monkeypatch.setattr(headstate, "parse_entry",
                        lambda *args, **kw: parsed.append(args) or parse(*args, **kw))
    monkeypatch.setattr(writer, "verify_signed",
                        lambda *args: verified.append(args) or verify(*args))

    warm = _cast(factory, a, work[first][2])  # a third ballot in a warm process
    assert _count(warm, r"SELECT spki FROM ledger_key") == 0  # the device key is known
    assert _count(warm, r"FROM unit_record") == 0  # the published roster too
    assert _count(warm, r"FROM ledger_entry WHERE assembly_id = \S+ AND head_id") == 1
    assert (len(parsed), len(verified)) == (1, 1)  # only the second ballot is parsed
    assert _visible(factory, a) == []  # the log is known to be visible

    castpath.reset()
    parsed.clear()
    verified.clear()
    cold = _cast(factory, a, work[second][2])  # a third ballot in a cold process
    assert _count(cold, r"SELECT spki FROM ledger_key") == 1
    assert _count(cold, r"FROM unit_record") == 1
    assert _count(cold, r"FROM ledger_entry WHERE assembly_id = \S+ AND head_id") == 1
    assert (len(parsed), len(verified)) == (2, 1)  # both earlier ballots are parsed
    assert _count(_visible(factory, a), r"SELECT a\.status FROM assembly") == 1
    assert len(cold) > len(warm)

    # a signature verified once is not verified again; after reset it is
    payload, sig = _ballot(work[third][2])
    message = writer.ballot_message(payload, sig)
    with factory() as session:
        writer.load_device_keys(session, a, [payload["key"]])
    verified.clear()
    assert writer.verify_if_key_known(payload["key"], message, sig)
    assert writer.verify_if_key_known(payload["key"], message, sig)
    assert len(verified) == 1
    castpath.reset()
    assert not writer.verify_if_key_known(payload["key"], message, sig)  # the key is not known
    with factory() as session:
        writer.load_device_keys(session, a, [payload["key"]])  # one read of its SPKI
    assert writer.verify_if_key_known(payload["key"], message, sig)
    assert len(verified) == 2


def test_a_full_cache_empties_itself() -> None:
    cache: castpath.BoundedCache[int, str] = castpath.BoundedCache("test", 3)
    for n in range(3):
        cache.put(n, str(n))
    cache.put(2, "two")  # a key it holds: replaced in place
    assert cache == {0: "0", 1: "1", 2: "two"}
    cache.put(3, "3")
    assert cache == {3: "3"}


def _strings(path: Path) -> list[str]:
    """Every string constant of a module, f-strings' literal parts included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def _kind_literals(sql: str) -> list[str]:
    spelled = set(kinds.KINDS) | set(KEY_KINDS)
    return [k for k in spelled if f"'{k}'" in sql or f'"{k}"' in sql]


SQL_WORDS = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE)\b|\b(FROM|WHERE|VALUES|UNION)\b")


def test_no_statement_spells_an_entry_kind() -> None:
    statements = [*castpath.SQL.values(), *castpath.SQL_IN.values()]
    assert statements
    for sql in statements:  # as run (the f-strings filled in)
        assert _kind_literals(sql) == [], sql
    for path in sorted((ROOT / "ledger/store/castpath").glob("*.py")):  # as written
        for text in _strings(path):
            if SQL_WORDS.search(text):
                assert _kind_literals(text) == [], text
    # what the statements bind instead
    assert set(castpath.HEAD_KINDS) <= set(kinds.KINDS)
    assert set(castpath.BALLOT_KINDS) == {kinds.BALLOT, kinds.PAPER_BALLOT}


def test_sql_is_written_in_castpath_alone() -> None:
    """The casting path's other modules run statements only through castpath's functions
    (or the ORM), and call nothing private of another module."""
    statement = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE)\s")
    castpath_files = sorted((ROOT / "ledger/store/castpath").glob("*.py"))
    paths = [ROOT / "ledger/store" / f"{name}.py" for name in PATH_MODULES if name != "castpath"]
    for path in [*paths, *castpath_files]:
        name = str(path.relative_to(ROOT))
        if path.name != "statements.py":  # castpath.statements: where the SQL is written
            assert [s for s in _strings(path) if statement.search(s)] == [], name
        tree = ast.parse(path.read_text(encoding="utf-8"))
        private = [f"{node.value.id}.{node.attr}" for node in ast.walk(tree)
                   if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                   and node.attr.startswith("_") and not node.attr.startswith("__")
                   and node.value.id not in ("self", "cls")]
        assert private == [], (name, private)
