"""Importing registry extracts into the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from identity.errors import ExtractError, RosterIntegrityError
from identity.keyed import KeyedHasher
from identity.parsing import parse_bytes
from identity.roster import decode, digest
from identity.store.freeze import freeze_roster, published_roster, roster_units
from identity.store.importer import import_extract
from identity.store.models import Owner, Ownership, RosterVersion, UnitRecord
from identity.synthetic import demo_extract, to_csv
from ownervote.audit import AuditEvent
from tests.support.data import REGISTRY_DATA
from tests.support.raw_database import database_bytes
from tests.support.settings import env_for, settings_with

SETTINGS = settings_with()
SMALL = (REGISTRY_DATA / "small.csv").read_bytes()


def counts(session) -> dict[str, int]:
    return {m.__tablename__: session.scalar(select(func.count()).select_from(m))
            for m in (Owner, RosterVersion, UnitRecord, Ownership, AuditEvent)}


def test_fixture_totals_match_the_hand_computed_readme(session) -> None:
    report = import_extract(session, "测试小区", SMALL, settings=SETTINGS)
    session.commit()
    s = report.summary.to_json()
    assert (report.rows, s["units"], s["owners"], s["heads"], s["heads_with_parking"]) == (
        16, 14, 9, 8, 9)
    assert (s["total_area"], s["counted_area"]) == ("1099.95", "1074.45")
    assert s["by_status"] == {"registered": 9, "delivered": 2, "unsold": 2,
                              "sold_undelivered": 1}
    assert s["by_usage"] == {"residential": 11, "commercial": 1, "parking": 2}
    assert s["by_area_source"] == {"registered": 9, "surveyed": 3, "contract": 2}
    assert (s["co_owned_units"], s["developer_units"]) == (2, 3)
    assert report.version == 1 and report.diff is None
    assert counts(session)["unit_record"] == 14 and counts(session)["ownership"] == 14


def test_gb18030_copy_gives_the_same_roster(session) -> None:
    a = import_extract(session, "测试小区", SMALL, settings=SETTINGS, dry_run=True)
    b = import_extract(session, "测试小区", (REGISTRY_DATA / "small-gb18030.csv").read_bytes(),
                       settings=SETTINGS, dry_run=True)
    assert (a.encoding, b.encoding) == ("utf-8", "gb18030")
    assert a.digest == b.digest and a.summary == b.summary


def test_refused_extract_changes_nothing(session) -> None:
    import_extract(session, "测试小区", SMALL, settings=SETTINGS)
    session.commit()
    before = counts(session)
    with pytest.raises(ExtractError) as info:
        import_extract(session, "测试小区", (REGISTRY_DATA / "small-bad-check.csv").read_bytes(),
                       settings=SETTINGS)
    session.rollback()
    assert [(e.line, e.field) for e in info.value.errors] == [(6, "id_number")]
    assert counts(session) == before


def test_dry_run_writes_nothing(session) -> None:
    report = import_extract(session, "测试小区", SMALL, settings=SETTINGS, dry_run=True)
    session.commit()
    assert report.dry_run and report.version is None and report.summary.units == 14
    assert all(n == 0 for n in counts(session).values())


def edited(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    out = [dict(r) for r in rows]
    # 2幢-102 sold by 林芳 to 周杰 (a transfer); 1幢-402 dropped; 3幢-101 added; an area fixed
    for r in out:
        if (r["building"], r["unit"]) == ("2幢", "102"):
            r.update(owner_name="周杰", id_number="350881199001011231")
        if (r["building"], r["unit"]) == ("1幢", "202"):
            r["surveyed_area"] = "95.30"
    out = [r for r in out if (r["building"], r["unit"]) != ("1幢", "402")]
    out.append(out[0] | {"building": "3幢", "unit": "101", "certificate_no": "闽(2024)新证第9号"})
    return out


def test_refresh_stores_a_new_version_and_reports_the_diff(session) -> None:
    rows = [dict(r.values) for r in parse_bytes(SMALL).rows]
    import_extract(session, "测试小区", rows, settings=SETTINGS)
    session.commit()
    second = edited(rows)
    assert any(r["id_number"] == "350881199001011231" for r in second)
    report = import_extract(session, "测试小区", second, settings=SETTINGS)
    session.commit()
    d = report.diff
    assert report.version == 2 and report.previous_version == 1
    assert d.units_added == ("3幢-101",) and d.units_removed == ("1幢-402",)
    changed = {c.label: c.fields for c in d.units_changed}
    assert changed == {"2幢-102": ("owners",), "1幢-202": ("surveyed_area",)}
    assert d.transfers == ("2幢-102",)
    assert (d.owners_added, d.owners_removed) == (1, 0)  # 林芳 still owns other units
    again = import_extract(session, "测试小区", second, settings=SETTINGS)
    assert again.unchanged and again.version == 2
    versions = session.scalars(select(RosterVersion.version)).all()
    assert sorted(versions) == [1, 2]
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "registry.import")
                            .order_by(AuditEvent.id.desc())).first()
    assert event.detail["diff"]["transfers"] == 1 and event.detail["version"] == 2


def test_digest_is_sha256_of_the_published_pii_free_encoding(session) -> None:
    import_extract(session, "测试小区", SMALL, settings=SETTINGS)
    session.commit()
    version = session.scalars(select(RosterVersion)).one()
    hasher = KeyedHasher.from_settings(SETTINGS)
    encoded = published_roster(session, version, hasher)
    assert hashlib.sha256(encoded).hexdigest() == version.digest
    assert encoded.startswith(b"ownervote-roster/1\n") and encoded.count(b"\n") == 15
    units = decode(encoded)
    assert digest(units) == version.digest
    first = json.loads(encoded.split(b"\n")[1])
    assert first[:8] == ["1幢", "101", "registered", "residential", "89.37", "90.10", None, "sole"]
    id_hashes = {o.id_hash for o in session.scalars(select(Owner))}
    assert not any(h.encode() in encoded for h in id_hashes)
    for r in parse_bytes(SMALL).rows:
        for field in ("owner_name", "id_number", "certificate_no"):
            if r.values[field]:
                assert r.values[field].encode() not in encoded


def test_freeze_fixes_the_version_and_detects_tampering(session) -> None:
    from identity.store.models import Community
    from voting.store.models import Assembly

    import_extract(session, "测试小区", SMALL, settings=SETTINGS)
    community = session.scalars(select(Community)).one()
    assembly = Assembly(community_id=community.id, title="更换物业")
    session.add(assembly)
    session.commit()
    frozen = freeze_roster(session, assembly, settings=SETTINGS)
    session.commit()
    assert (frozen.version, frozen.units) == (1, 14)
    assert assembly.roster_digest == frozen.digest
    rows = [dict(r.values) for r in parse_bytes(SMALL).rows]
    import_extract(session, "测试小区", edited(rows), settings=SETTINGS)
    session.commit()
    assert freeze_roster(session, assembly, settings=SETTINGS).version == 1
    record = session.scalars(select(UnitRecord).where(
        UnitRecord.roster_version_id == frozen.version_id,
        UnitRecord.registered_area == Decimal("89.37"))).one()
    record.registered_area = Decimal("98.37")
    session.commit()
    with pytest.raises(RosterIntegrityError, match="does not match its recorded digest"):
        freeze_roster(session, assembly, settings=SETTINGS)
    units = roster_units(session, session.get(RosterVersion, frozen.version_id),
                         KeyedHasher.from_settings(SETTINGS))
    assert len(units) == 14


def _pii(rows) -> set[str]:
    return {r[f] for r in rows for f in ("owner_name", "id_number") if r[f]}


def test_database_holds_no_name_or_id_number_in_clear(session, backend, db_url) -> None:
    demo = demo_extract(11)
    small = [dict(r.values) for r in parse_bytes(SMALL).rows]
    import_extract(session, "九鹏花园", to_csv(demo).encode("gb18030"), settings=SETTINGS)
    import_extract(session, "测试小区", SMALL, settings=SETTINGS)
    session.commit()
    blob = database_bytes(session, backend, db_url)
    assert "九鹏花园".encode() in blob  # the scan does see stored text
    secrets_ = _pii(demo) | _pii(small)
    assert len(secrets_) > 300
    leaks = [s for s in secrets_ for enc in ("utf-8", "gb18030") if s.encode(enc) in blob]
    assert leaks == []


def test_cli_import(db_url) -> None:
    from ownervote.cli import main

    runner = CliRunner()
    env = env_for(db_url)
    path = str(REGISTRY_DATA / "small.csv")
    result = runner.invoke(main, ["registry", "import", path, "--community", "测试小区",
                                  "--json"], env=env)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert (summary["units"], summary["heads"], summary["total_area"]) == (14, 8, "1099.95")
    assert summary["by_status"]["unsold"] == 2 and summary["version"] == 1
    assert "stored as roster version 1" in result.output

    bad = runner.invoke(main, ["registry", "import", str(REGISTRY_DATA / "small-bad-check.csv"),
                               "--community", "测试小区", "--json"], env=env)
    assert bad.exit_code == 2
    assert "line 6, id_number" in bad.output
    assert json.loads(bad.output.strip().splitlines()[-1])["refused"] is True

    dry = runner.invoke(main, ["registry", "import", path, "--community", "测试小区", "--dry-run",
                               "--json"], env=env)
    assert dry.exit_code == 0 and json.loads(dry.output.splitlines()[-1])["unchanged"] is True
    listing = runner.invoke(main, ["registry", "versions", "--community", "测试小区"], env=env)
    assert listing.exit_code == 0 and len(listing.output.strip().splitlines()) == 1
