"""Set-up for load and fault runs: an open assembly whose heads' device keys are enrolled.

Used by the load, fault and throttling tests (``tests/production/``, and in-process in
``tests/db/`` and ``tests/web/``) and by ``bench/cast.py`` / ``bench/faults.py``.
Everything here is set-up, not measured: a registry extract of ``heads``
single-owner flats goes through the real import, an assembly is noticed
(roster frozen, log published) and opened through ``ledger.store.proceedings``, and
one P-256 device key per head is enrolled with ``ledger.store.enrolment.enroll_key``
directly in the database.  :func:`presign` then signs the ballots the clients
will send (``seq`` 1, 2, … per head, revotes allowed until close), so the
timed phase costs the client nothing but sending bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import ec

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def extract(units: int, seed: int, building_prefix: str = "") -> list[dict[str, str]]:
    """``units`` registered flats, one distinct owner each (so ``units`` heads)."""
    from identity.synthetic import resident_id

    rng = random.Random(seed)
    rows = []
    per_building = 180
    for n in range(units):
        b, u = divmod(n, per_building)
        floor, door = divmod(u, 6)
        rows.append({
            "building": f"{building_prefix}{b + 1}幢", "unit": f"{floor + 1}{door + 1:02d}",
            "certificate_no": f"闽(2024)漳平市不动产权第{seed:02d}{n:07d}号",
            "owner_name": f"业主{n}", "id_type": "居民身份证", "id_number": resident_id(rng),
            "co_ownership": "单独所有", "registered_area": f"{60 + n % 90}.{n % 100:02d}",
            "surveyed_area": "", "contract_area": "", "status": "已登记", "usage": "住宅",
        })
    return rows


def device_key(rng: random.Random) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(rng.randrange(1, P256_ORDER), ec.SECP256R1())


@dataclass
class Prepared:
    """An open assembly ready for casting: its id, origin and each head's device key."""

    assembly_id: int
    origin: str
    log_vkey: str
    keys: dict[str, int] = field(default_factory=dict)  # head id -> private scalar
    election_key: str | None = None  # a secret assembly's (hex): ballots are encrypted to it

    def private_key(self, head: str) -> ec.EllipticCurvePrivateKey:
        return ec.derive_private_key(self.keys[head], ec.SECP256R1())


def prepare(settings, heads: int, *, assemblies: int = 1, seed: int = 1,
            community: str = "负载测试小区", secret: bool = False) -> list[Prepared]:
    """Migrate the database, import ``heads`` flats and open ``assemblies`` assemblies on them.

    ``settings`` are the server's (same database, instance folder, base URL and
    so the same log key file).  ``secret``: secret assemblies (two trustees, whose final
    key ceremony is recorded before the notice: :func:`tests.support.trustees.full_ceremony`).
    """
    from sqlalchemy import select

    from identity.store.importer import import_extract
    from identity.store.models import Community
    from ledger.ballots import spki
    from ledger.keys import load_or_create_log_key, log_key_name
    from ledger.secret import trustee_docs
    from ledger.store import enrolment, logstore, trustees
    from ledger.store.proceedings import ItemSpec, create_assembly, open_voting, publish_notice
    from ledger.store.publish import assembly_origin, published
    from ownervote.db import make_engine, make_session_factory
    from ownervote.migrate import upgrade
    from tests.support.trustees import full_ceremony
    from voting.settings import AssemblySettings, BallotSecrecy

    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    signer = load_or_create_log_key(settings.log_key_file, log_key_name(settings.base_url))
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    rng = random.Random(seed)
    out: list[Prepared] = []
    try:
        with make_session_factory(engine)() as session:
            import_extract(session, community, extract(heads, seed), settings=settings)
            session.commit()
            cid = session.scalars(select(Community.id).where(Community.name == community)).one()
            for n in range(assemblies):
                a = create_assembly(
                    session, cid, f"{community}第{n + 1}次业主大会会议",
                    [ItemSpec("选聘物业服务企业", 4, "服务期三年。"),
                     ItemSpec("筹集住宅专项维修资金", 6, "按每平方米30元续筹。")],
                    opens_at=now - dt.timedelta(hours=1), closes_at=now + dt.timedelta(days=3),
                    settings=AssemblySettings(ballot_secrecy=BallotSecrecy.SECRET, trustees=2)
                    if secret else None)
                session.commit()
                key = None
                if secret:
                    origin = assembly_origin(session, a, settings.base_url)
                    ceremony = full_ceremony(origin, n=2)
                    for signed in ceremony.documents:
                        trustees.record(session, a, trustee_docs.dumps(signed),
                                        base_url=settings.base_url, now=now)
                    session.commit()
                    key = ceremony.key.hex()
                logstore.begin_write(session)
                publish_notice(session, a, signer, ownervote_settings=settings,
                               now=now - dt.timedelta(days=16))
                open_voting(session, a, signer, now=now - dt.timedelta(minutes=30))
                session.commit()
                _adef, roster = published(session, a.id)
                head = logstore.get_head(session, a.id)
                prepared = Prepared(a.id, head.origin, head.log_vkey, election_key=key)
                session.commit()
                logstore.begin_write(session)
                for i, head_id in enumerate(sorted(roster.heads)):
                    scalar = rng.randrange(1, P256_ORDER)
                    der = spki(ec.derive_private_key(scalar, ec.SECP256R1()).public_key())
                    enrolment.enroll_key(session, a.id, signer, head_id, der, voter=f"load-{i}",
                                      roster=roster)
                    prepared.keys[head_id] = scalar
                session.commit()
                out.append(prepared)
    finally:
        engine.dispose()
    return out


CHOICES = ("agree", "oppose", "abstain")


def presign(prepared: Prepared, ballots: int, *, seed: int = 2,
            heads: list[str] | None = None) -> dict[str, list[bytes]]:
    """``ballots`` signed request bodies, spread round-robin over the heads (revotes after
    the first round), as ``{head: [body for seq 1, body for seq 2, …]}``; in a secret
    assembly (``prepared.election_key``) each ballot's two motions are encrypted, with
    their proofs (a few ms a ballot: set-up, not timed)."""
    from ledger import canonical
    from ledger.ballots import (
        ballot_payload,
        key_id,
        secret_ballot_payload,
        sign_p256,
        signing_message,
        spki,
    )
    from ledger.secret.ballot import ItemShape, encrypt_ballot
    from ledger.secret.group import decode_point

    motions = {"1": ItemShape("motion"), "2": ItemShape("motion")}
    hk = (decode_point(prepared.election_key, "election key")
          if prepared.election_key is not None else None)
    rng = random.Random(seed)
    order = heads or sorted(prepared.keys)
    by_head: dict[str, list[bytes]] = {h: [] for h in order}
    kids: dict[str, tuple[ec.EllipticCurvePrivateKey, str]] = {}
    for n in range(ballots):
        head = order[n % len(order)]
        if head not in kids:
            k = prepared.private_key(head)
            kids[head] = (k, key_id(spki(k.public_key())))
        k, kid = kids[head]
        seq = len(by_head[head]) + 1
        nonce = canonical.b64url(rng.randbytes(16))
        choices = {"1": rng.choice(CHOICES), "2": rng.choice(CHOICES)}
        if hk is None:
            payload = ballot_payload(prepared.origin, head, kid, seq, choices, nonce)
        else:  # a secret ballot: both motions encrypted to the election key, with proofs
            encrypted, _ = encrypt_ballot(hk, prepared.origin, head, seq, motions, choices)
            payload = secret_ballot_payload(prepared.origin, head, kid, seq,
                                            encrypted.to_json(), nonce)
        sig = sign_p256(k, signing_message(payload))
        body = {"payload": payload, "signature": canonical.b64url(sig)}
        by_head[head].append(json.dumps(body, separators=(",", ":")).encode())
    return {h: bodies for h, bodies in by_head.items() if bodies}


def split(work: Mapping[str, list[bytes]], clients: int) -> list[list[tuple[str, list[bytes]]]]:
    """Give each client whole heads (a head's ballots must go in order, from one client)."""
    lanes: list[list[tuple[str, list[bytes]]]] = [[] for _ in range(clients)]
    loads = [0] * clients
    for head, bodies in sorted(work.items(), key=lambda kv: -len(kv[1])):
        i = loads.index(min(loads))
        lanes[i].append((head, bodies))
        loads[i] += len(bodies)
    return lanes
