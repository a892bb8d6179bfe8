"""The demo's phone ballots: device keys enrolled and signed ballots cast, open or encrypted,
through the same store functions the casting API uses (:mod:`ledger.store.enrolment`,
:func:`ledger.store.writer.cast_ballot`), so every check the server makes applies to them.

Keys and choices come from the demo's seeded generator; the demo's loader
(:mod:`ownervote.services.demo`, :mod:`ownervote.services.demo_secret`) owns the units of
work these run in.
"""

from __future__ import annotations

import datetime as dt
import random

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.orm import Session

from identity.keyed import KeyedHasher
from identity.store.models import Building, Owner, Ownership, Unit
from ledger.ballots import (
    ballot_payload,
    key_id,
    new_nonce,
    secret_ballot_payload,
    sign_p256,
    signing_message,
    spki,
)
from ledger.note import Signer
from ledger.secret.ballot import encrypt_ballot
from ledger.secret.group import Point
from ledger.secret.ledgerdocs import layout
from ledger.store import enrolment, logstore, writer
from ledger.store.publish import published
from voting.store.models import Assembly


def unit_owners(session: Session, assembly: Assembly) -> dict[str, list[tuple[int, str]]]:
    """Unit label ("building-number") -> its owners in the frozen roster, as (owner row id,
    ID hash)."""
    rows = session.execute(
        select(Building.name, Unit.number, Owner.id, Owner.id_hash)
        .join(Unit, Unit.building_id == Building.id)
        .join(Ownership, Ownership.unit_id == Unit.id)
        .join(Owner, Owner.id == Ownership.owner_id)
        .where(Ownership.roster_version_id == assembly.roster_version_id))
    owners: dict[str, list[tuple[int, str]]] = {}
    for building, number, owner_id, id_hash in rows:
        owners.setdefault(f"{building}-{number}", []).append((owner_id, id_hash))
    return owners


def cast_random_ballots(session: Session, assembly: Assembly, signer: Signer, hasher: KeyedHasher,
                        *, share: float,
                        start: dt.datetime, end: dt.datetime, rng: random.Random,
                        skip_heads: frozenset[str] = frozenset(),
                        election_key: Point | None = None) -> frozenset[str]:
    """Enrol a device key for a ``share`` of heads and cast one signed ballot each; the heads
    that voted.  With ``election_key`` (a secret assembly's) every ballot is encrypted to it
    with its proofs, as the owner's phone builds it."""
    adef, roster = published(session, assembly.id)
    origin = logstore.get_head(session, assembly.id).origin
    shapes = layout(adef.items.values())
    owners = unit_owners(session, assembly)
    heads = sorted(h for h in roster.heads if h not in skip_heads)
    voters = rng.sample(heads, round(len(heads) * share))
    span = (end - start) / max(len(voters), 1)
    for n, head_id in enumerate(sorted(voters)):
        at = start + span * n
        key = rng_key(rng)
        der = spki(key.public_key())
        # The same pseudonym the owner pages use, so co-owners see who voted for their home.
        hashes = sorted(h for u in roster.heads[head_id].unit_ids for _o, h in owners.get(u, ()))
        voter = hasher.ledger_voter_ref(origin, hashes[0] if hashes else "developer")
        enrolment.enroll_key(session, assembly.id, signer, head_id, der, voter=voter, now=at,
                          roster=roster)
        choices: dict[str, object] = {}
        for item_id, item in adef.items.items():
            if item.candidates:
                # most owners fill every seat; some approve fewer candidates
                k = item.seats if rng.random() < 0.8 else rng.randint(1, item.seats)
                picked = favoured_sample(rng, len(item.candidates), k)
                choices[item_id] = (sorted(picked) if election_key is not None
                                    else sorted(item.candidates[i] for i in picked))
            else:
                choices[item_id] = rng.choices(("agree", "oppose", "abstain"), (70, 20, 10))[0]
        if election_key is None:
            payload = ballot_payload(origin, head_id, key_id(der), 1, choices, new_nonce())
        else:
            sealed, _randomness = encrypt_ballot(election_key, origin, head_id, 1, shapes,
                                                 choices)  # type: ignore[arg-type]
            payload = secret_ballot_payload(origin, head_id, key_id(der), 1, sealed.to_json(),
                                            new_nonce())
        writer.cast_ballot(session, assembly.id, payload, sign_p256(key, signing_message(payload)),
                           now=at, roster=roster)
    return frozenset(voters)


def favoured_sample(rng: random.Random, candidates: int, k: int) -> list[int]:
    """``k`` distinct candidate indices, earlier candidates likelier (weights n², (n-1)², …,
    1), so the demo's elections have clear winners."""
    left = list(range(candidates))
    picked = []
    for _ in range(k):
        i = rng.choices(left, [(candidates - c) ** 2 for c in left])[0]
        left.remove(i)
        picked.append(i)
    return picked


def rng_key(rng: random.Random) -> ec.EllipticCurvePrivateKey:
    """A P-256 device key drawn from the demo's seeded generator (repeatable demo data)."""
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    return ec.derive_private_key(rng.randrange(1, order), ec.SECP256R1())
