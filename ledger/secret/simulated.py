"""A trustees' key ceremony run in one process: every trustee's keys, polynomial and share
held together (docs/secret-ballots.md §7, §9).

Only for the demo (:mod:`ownervote.services.demo_secret`) and the tests.  A real assembly
never does this: each trustee runs ``ownervote trustee …`` on its own computer
(docs/trustee-guide.md), so no single place ever holds k shares.  The documents made
here are the same signed documents those commands make, and go through the same
checks when they are recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from ledger.secret import dkg, parts, schnorr, transport, trustee_sig
from ledger.secret import trustee_docs as td
from ledger.secret.ceremony import Ceremony as CeremonyState
from ledger.secret.group import L, Point


@dataclass
class Trustee:
    index: int
    signing: Ed25519PrivateKey
    transport: X25519PrivateKey
    poly: dkg.Polynomial | None = None


@dataclass
class World:
    """``n`` trustees (threshold ``k``) and the documents they published, in order."""

    n: int
    k: int
    trustees: dict[int, Trustee]
    docs: list[tuple[str, td.Signed]] = field(default_factory=list)

    def publish(self, doc: td.Document) -> td.Signed:
        signed = td.sign(doc, self.trustees[doc.trustee].signing)
        self.docs.append((f"{doc.TYPE}-{doc.trustee}-{len(self.docs)}", signed))
        return signed


def announce(n: int, k: int, origin: str, names: Sequence[str] = ()) -> World:
    """``n`` fresh trustees, each having published its announcement (``names``: how the
    committee lists them; default ``trustee i``)."""
    world = World(n, k, {i: Trustee(i, trustee_sig.new_signing_key(),
                                    transport.new_transport_key()) for i in range(1, n + 1)})
    for i, t in world.trustees.items():
        name = names[i - 1] if i <= len(names) else f"trustee {i}"
        world.publish(td.Announcement(origin, i, n, k, name,
                                      trustee_sig.public_bytes(t.signing),
                                      transport.public_bytes(t.transport)))
    return world


def dealing(world: World, i: int, origin: str, corrupt_for: int | None = None) -> td.Dealing:
    """Trustee i's dealing of a fresh polynomial; ``corrupt_for`` (tests of complaints):
    seal a wrong share, f(who) + 1, to that trustee."""
    t = world.trustees[i]
    t.poly = dkg.random_polynomial(world.k)
    commitments = t.poly.commitments()
    proofs = tuple(schnorr.prove(a, c, schnorr.coefficient_context(origin, i, j))
                   for j, (a, c) in enumerate(zip(t.poly.coefficients, commitments, strict=True)))
    sealed = tuple(
        transport.seal((t.poly(who) + (1 if who == corrupt_for else 0)) % L, origin=origin,
                       dealer=i, recipient=who,
                       recipient_key=transport.public_bytes(world.trustees[who].transport))
        for who in range(1, world.n + 1))
    return td.Dealing(origin, i, commitments, proofs, sealed)


@dataclass
class Ceremony:
    """A finished ceremony: the signed documents in the order the committee records them,
    the joint key, and the trustees (their polynomials) to decrypt with."""

    world: World
    documents: list[td.Signed]

    @property
    def origin(self) -> str:
        return self.documents[0].document.origin

    @property
    def key(self) -> Point:
        status = CeremonyState.build((f"doc{i}", s) for i, s in
                                     enumerate(self.documents)).status()
        if status.key is None:
            raise ValueError(f"the ceremony is not final: {status.phase}")
        return status.key

    def share(self, trustee: int) -> int:
        """Trustee ``trustee``'s secret share ``s_l = Σ_i f_i(l)`` (every dealing qualified)."""
        return sum(t.poly(trustee) for t in self.world.trustees.values()
                   if t.poly is not None) % L

    def decryption(self, trustee: int, totals: Sequence[parts.Total]) -> td.Signed:
        """Trustee ``trustee``'s signed decryption document of ``totals``, in order."""
        doc = td.Decryption(self.origin, trustee,
                            parts.totals_digest(self.origin, self.key, totals),
                            parts.make_shares(self.origin, trustee, self.share(trustee), totals))
        return td.sign(doc, self.world.trustees[trustee].signing)

    def files(self) -> list[bytes]:
        """Each document as its file's bytes (what the committee's upload reads)."""
        return [td.dumps(s) for s in self.documents]


def full_ceremony(origin: str, n: int = 2, k: int | None = None,
                  names: Sequence[str] = ()) -> Ceremony:
    """Announce, deal and confirm: ``n`` trustees (threshold ``k``, default a majority)
    reach a final key for ``origin`` (a few ms per trustee)."""
    k = dkg.default_threshold(n) if k is None else k
    world = announce(n, k, origin, names)
    dealings = {i: world.publish(dealing(world, i, origin)) for i in range(1, n + 1)}
    for i in range(1, n + 1):
        world.publish(td.Confirmation(origin, i, tuple((d, s.digest())
                                                       for d, s in sorted(dealings.items()))))
    return Ceremony(world, [s for _, s in world.docs])
