"""Rosters for assemblies: freezing a version at notice, loading it PII-free, its heads.

:func:`freeze_roster` is called when an assembly is noticed: it fixes the
community's latest roster version on the assembly (``roster_version_id``,
``roster_digest``) after re-computing the digest from the stored rows (a
stored roster that no longer matches its digest is refused).  The ledger
commits the digest; the audit bundle publishes :func:`published_roster`
(the canonical encoding, see ``identity.roster``).  Later registry refreshes
create new versions but never change a frozen assembly's roster.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from identity.errors import RosterError, RosterIntegrityError
from identity.keyed import KeyedHasher
from identity.roster import RosterUnit, digest, encode, to_roster_units
from identity.store import rosters
from identity.store.models import Community, RosterVersion
from ownervote.audit import record
from voting.heads import Roster, build_roster
from voting.settings import DEFAULT_SETTINGS, AssemblySettings


@dataclass(frozen=True)
class FrozenRoster:
    version_id: int
    version: int
    digest: str
    units: int


def roster_units(session: Session, version: RosterVersion, hasher: KeyedHasher) -> list[RosterUnit]:
    """The PII-free units of a stored roster version."""
    community = session.get(Community, version.community_id)
    assert community is not None
    return to_roster_units(rosters.load_units(session, version.id), community.name, hasher)


def verified_units(session: Session, version: RosterVersion,
                   hasher: KeyedHasher) -> list[RosterUnit]:
    """:func:`roster_units`, refused if they no longer hash to the recorded digest."""
    units = roster_units(session, version, hasher)
    if digest(units) != version.digest:
        raise RosterIntegrityError(
            f"roster version {version.version} of community {version.community_id} does not "
            "match its recorded digest: its stored rows were changed")
    return units


def published_roster(session: Session, version: RosterVersion, hasher: KeyedHasher) -> bytes:
    """The canonical ``ownervote-roster/1`` bytes whose SHA-256 is the version's digest."""
    return encode(verified_units(session, version, hasher))


_ROSTERS: OrderedDict[tuple[str, str], Roster] = OrderedDict()
_CACHED = 8


def voting_roster(session: Session, version: RosterVersion, hasher: KeyedHasher,
                  settings: AssemblySettings = DEFAULT_SETTINGS) -> Roster:
    """The rules engine's roster (heads) of a version; unit ids are ``building-unit`` labels.

    Versions are immutable and the digest fixes every unit and owner reference, so
    the last few rosters are kept in memory by (digest, settings): an owner's page
    does not regroup 100,000 units per request.  The first load checks the digest.
    """
    key = (version.digest, json.dumps(settings.to_dict(), sort_keys=True))
    roster = _ROSTERS.get(key)
    if roster is None:
        roster = build_roster([u.to_voting() for u in verified_units(session, version, hasher)],
                              settings)
        _ROSTERS[key] = roster
        while len(_ROSTERS) > _CACHED:
            _ROSTERS.popitem(last=False)
    else:
        _ROSTERS.move_to_end(key)
    return roster


def freeze_roster(session: Session, assembly: Any, *, settings: Any,
                  actor: str = "system") -> FrozenRoster:
    """Fix the community's latest roster version on ``assembly`` (idempotent).

    Returns the frozen version and digest; if the assembly is already frozen,
    returns its version unchanged.  The caller commits.
    """
    hasher = KeyedHasher.from_settings(settings)
    if assembly.roster_version_id is not None:
        version = session.get(RosterVersion, assembly.roster_version_id)
        assert version is not None
    else:
        version = rosters.latest_version(session, assembly.community_id)
        if version is None:
            raise RosterError(f"community {assembly.community_id} has no roster: import a "
                              "registry extract first")
    units = verified_units(session, version, hasher)
    if assembly.roster_version_id is None:
        assembly.roster_version_id = version.id
        assembly.roster_digest = version.digest
        record(session, actor, "roster.freeze", f"assembly:{assembly.id}",
               version=version.version, digest=version.digest)
    return FrozenRoster(version.id, version.version, version.digest, len(units))
