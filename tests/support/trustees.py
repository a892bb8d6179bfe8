"""An in-memory trustees' ceremony for the tests (ledger.secret: dkg, transport, documents),
and the terms of totals to decrypt (exponential ElGamal written out with the group's
operations: A = r·G, B = r·Hk + m·G, docs/secret-ballots.md §4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from ledger.secret import dkg, schnorr, transport, trustee_sig
from ledger.secret import trustee_docs as td
from ledger.secret.group import Point, base, mul, random_scalar

ORIGIN = "ownervote.example/test-garden/assembly/3"


@dataclass
class Trustee:
    index: int
    signing: Ed25519PrivateKey
    transport: X25519PrivateKey
    poly: dkg.Polynomial | None = None


@dataclass
class World:
    n: int
    k: int
    trustees: dict[int, Trustee]
    docs: list[tuple[str, td.Signed]] = field(default_factory=list)

    def publish(self, doc: td.Document) -> td.Signed:
        signed = td.sign(doc, self.trustees[doc.trustee].signing)
        self.docs.append((f"{doc.TYPE}-{doc.trustee}-{len(self.docs)}", signed))
        return signed


def announce(n: int, k: int, origin: str = ORIGIN) -> World:
    world = World(n, k, {i: Trustee(i, trustee_sig.new_signing_key(),
                                    transport.new_transport_key()) for i in range(1, n + 1)})
    for i, t in world.trustees.items():
        world.publish(td.Announcement(origin, i, n, k, f"trustee {i}",
                                      trustee_sig.public_bytes(t.signing),
                                      transport.public_bytes(t.transport)))
    return world


def dealing(world: World, i: int, origin: str = ORIGIN,
            corrupt_for: int | None = None) -> td.Dealing:
    """Trustee i's dealing; ``corrupt_for``: seal a wrong share (f(who) + 1) to that trustee."""
    t = world.trustees[i]
    t.poly = dkg.random_polynomial(world.k)
    commitments = t.poly.commitments()
    proofs = tuple(schnorr.prove(a, c, schnorr.coefficient_context(origin, i, j))
                   for j, (a, c) in enumerate(zip(t.poly.coefficients, commitments, strict=True)))
    sealed = tuple(
        transport.seal((t.poly(who) + (1 if who == corrupt_for else 0)) % dkg.L, origin=origin,
                       dealer=i, recipient=who,
                       recipient_key=transport.public_bytes(world.trustees[who].transport))
        for who in range(1, world.n + 1))
    return td.Dealing(origin, i, commitments, proofs, sealed)


def encrypt(key: Point, m: int) -> dict[str, str]:
    r = random_scalar()
    return {"a": base(r).hex(), "b": (mul(r, key) + base(m)).hex()}


def totals_file(origin: str, key: Point,
                ballots: list[tuple[int, int, list[int]]]) -> dict[str, Any]:
    """One motion ``"1"``: ballots ``(entry, area weight, [0/1 per option])``."""
    options = len(ballots[0][2])
    cts = {(e, o): encrypt(key, choice[o]) for e, _w, choice in ballots for o in range(options)}
    totals = []
    for o in range(options):
        for kind in ("area", "heads"):
            totals.append({"item": "1", "option": o, "kind": kind, "terms": [
                {"entry": e, "weight": w if kind == "area" else 1, **cts[(e, o)]}
                for e, w, _c in ballots]})
    return {"origin": origin, "key": key.hex(), "totals": totals}


def expected(ballots: list[tuple[int, int, list[int]]]) -> list[int]:
    options = len(ballots[0][2])
    out = []
    for o in range(options):
        out.append(sum(w * c[o] for _e, w, c in ballots))
        out.append(sum(c[o] for _e, _w, c in ballots))
    return out


# -- a whole ceremony, for the ledger, the services and the pages ----------------------


@dataclass
class Ceremony:
    """A finished key ceremony: the trustees' signed documents in the order the committee
    would record them, the joint key ``key``, and the trustees (their polynomials) to
    decrypt with in tests."""

    world: World
    documents: list[td.Signed]

    @property
    def key(self) -> Point:
        from ledger.secret import ceremony

        status = ceremony.Ceremony.build((f"doc{i}", s) for i, s in
                                         enumerate(self.documents)).status()
        assert status.key is not None, status.phase
        return status.key

    def secret(self) -> int:
        """The joint secret ``x`` (only a test knows it: the sum of every a_{i,0})."""
        return sum(t.poly.coefficients[0] for t in self.world.trustees.values()
                   if t.poly is not None) % dkg.L

    def share(self, trustee: int) -> int:
        """Trustee ``trustee``'s secret share ``s_l = Σ_i f_i(l)`` (every dealing qualified)."""
        return sum(t.poly(trustee) for t in self.world.trustees.values()
                   if t.poly is not None) % dkg.L

    def decryption(self, trustee: int, totals: Any) -> td.Signed:
        """Trustee ``trustee``'s signed decryption document of ``totals``
        (:class:`ledger.secret.parts.Total`, in order)."""
        from ledger.secret import parts

        origin = self.documents[0].document.origin
        doc = td.Decryption(origin, trustee, parts.totals_digest(origin, self.key, totals),
                            parts.make_shares(origin, trustee, self.share(trustee), totals))
        return td.sign(doc, self.world.trustees[trustee].signing)

    def files(self) -> list[bytes]:
        """Each document as its file's bytes (what `trustee-doc` reads)."""
        return [td.dumps(s) for s in self.documents]


def full_ceremony(origin: str = ORIGIN, n: int = 2, k: int | None = None) -> Ceremony:
    """Announce, deal and confirm: ``n`` trustees (threshold ``k``, default a majority)
    reach a final key for ``origin`` (a few ms per trustee)."""
    k = dkg.default_threshold(n) if k is None else k
    world = announce(n, k, origin)
    dealings = {i: world.publish(dealing(world, i, origin)) for i in range(1, n + 1)}
    for i in range(1, n + 1):
        world.publish(td.Confirmation(origin, i, tuple((d, s.digest())
                                                       for d, s in sorted(dealings.items()))))
    return Ceremony(world, [s for _, s in world.docs])
