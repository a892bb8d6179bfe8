"""Importing a registry extract: validate everything, then store one new roster version.

:func:`import_extract` is the in-process API (the ``ownervote registry import``
command and the demo call it).  An extract with any error is refused whole
and nothing stored changes; a valid one becomes the next roster version of
the community unless its roster digest equals the latest version's (then
nothing is written and the report says ``unchanged``).

Personal data: ID numbers are kept only as keyed hashes (plus a masked form),
names only encrypted; the extract's bytes are not stored anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from identity import idnumbers
from identity.diff import RosterDiff, diff
from identity.keyed import KeyedHasher, normalise_name
from identity.masking import mask_id
from identity.parsing import ParsedExtract, parse_bytes, parse_rows
from identity.pii import PiiCipher, owner_name_purpose
from identity.roster import RosterSummary, StoredUnit, digest, summarise, to_roster_units
from identity.store import bulk, review, rosters
from identity.store.models import Community, Owner
from identity.validation import OwnerKey, ValidatedExtract, validate_rows
from ownervote.audit import record


class Progress(Protocol):
    """Where the importer reports progress (the CLI shows a bar on a terminal)."""

    def stage(self, name: str, total: int) -> None: ...

    def advance(self, n: int) -> None: ...


@dataclass
class ImportReport:
    community: str
    rows: int
    encoding: str
    format: str
    summary: RosterSummary
    digest: str
    dry_run: bool
    version: int | None  # the new version, or the latest one when unchanged
    previous_version: int | None
    unchanged: bool
    diff: RosterDiff | None
    owners_new: int = 0
    owners_renamed: int = 0
    carried_over: tuple[str, ...] = ()  # review references re-applied on top of the extract
    warnings: list[str] = field(default_factory=list)
    ignored_columns: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"community": self.community, "rows": self.rows}
        out.update(self.summary.to_json())
        out.update({
            "digest": self.digest, "version": self.version,
            "previous_version": self.previous_version, "unchanged": self.unchanged,
            "dry_run": self.dry_run, "encoding": self.encoding, "format": self.format,
            "owners_new": self.owners_new, "owners_renamed": self.owners_renamed,
            "carried_over": list(self.carried_over), "warnings": self.warnings,
            "ignored_columns": list(self.ignored_columns),
            "diff": self.diff.to_json() if self.diff is not None else None,
        })
        return out


def _parse(data: bytes | Iterable[Mapping[str, object]], encoding: str | None) -> ParsedExtract:
    if isinstance(data, bytes | bytearray | memoryview):
        return parse_bytes(bytes(data), encoding)
    return parse_rows(data)


def owner_hashes(extract: ValidatedExtract, hasher: KeyedHasher) -> dict[OwnerKey, str]:
    return {key: hasher.id_hash(*key, normalised=True) for key in extract.owners}


def stored_units(extract: ValidatedExtract, hasher: KeyedHasher,
                 owner_hash: dict[OwnerKey, str] | None = None) -> list[StoredUnit]:
    if owner_hash is None:
        owner_hash = owner_hashes(extract, hasher)
    return [StoredUnit(
        u.building, u.number, u.status, u.usage, u.registered_area, u.surveyed_area,
        u.contract_area, u.co_ownership,
        hasher.certificate_hash(u.certificate_no) if u.certificate_no else None,
        frozenset(owner_hash[k] for k in u.owners)) for u in extract.units]


def import_extract(session: Session, community_name: str,
                   data: bytes | Iterable[Mapping[str, object]], *, settings: Any,
                   dry_run: bool = False, actor: str = "system",
                   progress: Progress | None = None, encoding: str | None = None) -> ImportReport:
    """Validate ``data`` (extract bytes, or row dicts) and store it as a new roster version.

    ``encoding`` forces the file's encoding (default: detected, see ``identity.parsing``).

    Raises :class:`identity.errors.ExtractError` (listing every problem with
    its line and field) before anything is written.  Adds to the session's
    transaction; the caller commits.
    """
    hasher = KeyedHasher.from_settings(settings)
    cipher = PiiCipher.from_settings(settings)
    parsed = _parse(data, encoding)
    if progress is not None:
        progress.stage("validating", len(parsed.rows))
    extract = validate_rows(parsed.rows, parsed.errors,
                            progress.advance if progress is not None else None)
    hashes = owner_hashes(extract, hasher)
    units = stored_units(extract, hasher, hashes)

    community = session.scalar(select(Community).where(Community.name == community_name))
    latest = rosters.latest_version(session, community.id) if community is not None else None
    carried: tuple[str, ...] = ()
    if community is not None:
        units, carried = review.carry_over(session, community.id, units)
    roster_units = to_roster_units(units, community_name, hasher)
    new_digest = digest(roster_units)
    summary = summarise(roster_units)
    unchanged = latest is not None and latest.digest == new_digest
    changes = None
    if unchanged:
        changes = RosterDiff()  # same digest, same roster
    elif latest is not None:
        old = to_roster_units(rosters.load_units(session, latest.id), community_name, hasher)
        changes = diff(old, roster_units)
    report = ImportReport(
        community=community_name, rows=extract.rows, encoding=parsed.encoding,
        format=parsed.format, summary=summary, digest=new_digest, dry_run=dry_run,
        version=latest.version if unchanged and latest else None,
        previous_version=latest.version if latest else None, unchanged=unchanged, diff=changes,
        carried_over=carried, warnings=extract.warnings, ignored_columns=parsed.ignored_columns)
    if dry_run or unchanged:
        return report

    if community is None:
        community = Community(name=community_name)
        session.add(community)
        session.flush()
    report.owners_new, report.owners_renamed = _upsert_owners(session, extract, hashes, cipher)
    if progress is not None:
        progress.stage("writing", len(units))
    version = rosters.write_version(
        session, community, units, digest=new_digest, source="registry",
        summary=report.to_json() | {"diff": None, "warnings": []},
        progress=progress.advance if progress is not None else None)
    report.version = version.version
    record(session, actor, "registry.import", f"community:{community.id}",
           version=version.version, digest=new_digest, rows=extract.rows,
           units=summary.units, heads=summary.heads, total_area=str(summary.total_area),
           owners_new=report.owners_new, carried_over=list(carried),
           diff=_diff_counts(changes))
    return report


def _diff_counts(changes: RosterDiff | None) -> dict[str, int] | None:
    if changes is None:
        return None
    return {"units_added": len(changes.units_added), "units_removed": len(changes.units_removed),
            "units_changed": len(changes.units_changed), "owners_added": changes.owners_added,
            "owners_removed": changes.owners_removed, "transfers": len(changes.transfers)}


def _upsert_owners(session: Session, extract: ValidatedExtract, hashes: dict[OwnerKey, str],
                   cipher: PiiCipher) -> tuple[int, int]:
    """Insert owners not yet known; re-encrypt the name of those whose name changed."""
    by_hash = {hashes[key]: owner for key, owner in extract.owners.items()}
    table = Owner.__table__
    existing = bulk.lookup(session, table.c.id_hash, by_hash, table.c.id, table.c.name_enc)
    new_rows = []
    renamed = []
    for h, owner in by_hash.items():
        purpose = owner_name_purpose(h)
        if h in existing:
            oid, enc = existing[h]
            if normalise_name(cipher.decrypt_text(enc, purpose=purpose)) != \
                    normalise_name(owner.name):
                renamed.append({"id": oid, "name_enc": cipher.encrypt_text(owner.name,
                                                                           purpose=purpose)})
            continue
        id_type, number = owner.key
        new_rows.append({
            "id_hash": h, "id_type": id_type, "id_masked": mask_id(number),
            "name_enc": cipher.encrypt_text(owner.name, purpose=purpose),
            "kind": "organisation" if idnumbers.is_organisation(id_type) else "person"})
    bulk.insert_rows(session, table, new_rows)
    if renamed:
        session.execute(update(Owner), renamed)
    return len(new_rows), len(renamed)

