"""The trustees' public documents and their canonical JSON (docs/secret-ballots.md §12.1).

Every document is an object with ``type``, ``v`` (1), ``origin`` (the assembly's log
origin) and ``trustee`` (the author's index), wrapped in a signed envelope
``{"document": {…}, "signature": hex(64 bytes)}`` (:mod:`trustee_sig`) and stored as its
canonical bytes (:mod:`ledger.canonical`).  These envelopes are what the ledger records as
signed entries; the :func:`digest` of an envelope is SHA-256 of its canonical bytes.

=======================  ===============================================================
``type``                 other fields
=======================  ===============================================================
trustee.announcement     ``n``, ``k``, ``name``, ``signing_key`` (Ed25519, hex),
                         ``transport_key`` (X25519, hex)
trustee.dealing          ``commitments`` [hex point × k], ``proofs`` [{c, z} × k],
                         ``shares`` [{to, ephemeral, box} × n, to = 1…n]
trustee.confirmation     ``dealings`` [{dealer, digest} …]: every dealing it verified
trustee.complaint        ``dealer``, ``dealing`` (digest), ``reason``
trustee.answer           ``complainant``, ``share`` (the revealed f_i(complainant), hex)
trustee.decryption       ``totals`` (digest of the totals it recomputed), ``shares``
                         [{item, option, kind, d, proof} …]
=======================  ===============================================================
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import canonical
from ledger.errors import EncodingError
from ledger.secret import trustee_sig
from ledger.secret.dleq import KINDS, DleqProof
from ledger.secret.group import GroupError, Point, decode_point, decode_scalar, scalar_hex
from ledger.secret.schnorr import SchnorrProof
from ledger.secret.transport import BOX_BYTES, SealedShare
from ledger.secret.trustee_errors import DocumentError

VERSION = 1
MAX_NAME = 100
MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class Announcement:
    origin: str
    trustee: int
    n: int
    k: int
    name: str
    signing_key: bytes
    transport_key: bytes

    TYPE = "trustee.announcement"

    def fields(self) -> dict[str, Any]:
        return {"n": self.n, "k": self.k, "name": self.name,
                "signing_key": self.signing_key.hex(), "transport_key": self.transport_key.hex()}


@dataclass(frozen=True, slots=True)
class Dealing:
    origin: str
    trustee: int
    commitments: tuple[Point, ...]
    proofs: tuple[SchnorrProof, ...]
    shares: tuple[SealedShare, ...]

    TYPE = "trustee.dealing"

    def fields(self) -> dict[str, Any]:
        return {"commitments": [c.hex() for c in self.commitments],
                "proofs": [p.to_json() for p in self.proofs],
                "shares": [{"to": s.to, "ephemeral": s.ephemeral.hex(), "box": s.box.hex()}
                           for s in self.shares]}


@dataclass(frozen=True, slots=True)
class Confirmation:
    origin: str
    trustee: int
    dealings: tuple[tuple[int, str], ...]  # (dealer, digest of its signed dealing)

    TYPE = "trustee.confirmation"

    def fields(self) -> dict[str, Any]:
        return {"dealings": [{"dealer": i, "digest": d} for i, d in self.dealings]}


@dataclass(frozen=True, slots=True)
class Complaint:
    origin: str
    trustee: int
    dealer: int
    dealing: str
    reason: str

    TYPE = "trustee.complaint"

    def fields(self) -> dict[str, Any]:
        return {"dealer": self.dealer, "dealing": self.dealing, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Answer:
    origin: str
    trustee: int
    complainant: int
    share: int

    TYPE = "trustee.answer"

    def fields(self) -> dict[str, Any]:
        return {"complainant": self.complainant, "share": scalar_hex(self.share)}


@dataclass(frozen=True, slots=True)
class ShareOfTotal:
    item: str
    option: int
    kind: str
    d: Point
    proof: DleqProof


@dataclass(frozen=True, slots=True)
class Decryption:
    origin: str
    trustee: int
    totals: str
    shares: tuple[ShareOfTotal, ...]

    TYPE = "trustee.decryption"

    def fields(self) -> dict[str, Any]:
        return {"totals": self.totals,
                "shares": [{"item": s.item, "option": s.option, "kind": s.kind,
                            "d": s.d.hex(), "proof": s.proof.to_json()} for s in self.shares]}


Document = Announcement | Dealing | Confirmation | Complaint | Answer | Decryption
TYPES: dict[str, type[Document]] = {
    cls.TYPE: cls for cls in (Announcement, Dealing, Confirmation, Complaint, Answer, Decryption)
}


def document_json(doc: Document) -> dict[str, Any]:
    return {"type": doc.TYPE, "v": VERSION, "origin": doc.origin, "trustee": doc.trustee,
            **doc.fields()}


@dataclass(frozen=True, slots=True)
class Signed:
    """A document and its author's signature."""

    document: Document
    signature: bytes

    def to_json(self) -> dict[str, Any]:
        return {"document": document_json(self.document), "signature": self.signature.hex()}

    def canonical(self) -> bytes:
        return canonical.encode(self.to_json())

    def digest(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()

    def check_signature(self, signing_key: bytes, where: str) -> None:
        trustee_sig.check(signing_key, canonical.encode(document_json(self.document)),
                          self.signature, where)


def sign(doc: Document, key: Ed25519PrivateKey) -> Signed:
    return Signed(doc, trustee_sig.sign(key, canonical.encode(document_json(doc))))


def dumps(signed: Signed) -> bytes:
    """The bytes of a document file: the canonical envelope and a newline."""
    return signed.canonical() + b"\n"


def loads(data: bytes, where: str) -> Signed:
    """Parse a document file (canonical bytes, one optional final newline)."""
    body = data[:-1] if data.endswith(b"\n") else data
    try:
        obj = canonical.decode(body)
    except EncodingError as exc:
        raise DocumentError(where, f"not a canonical JSON document ({exc})") from None
    signed = parse_signed(obj, where)
    if signed.canonical() != body:  # e.g. true for 1: one document, one spelling, one digest
        raise DocumentError(where, "a value is not written as its field requires")
    return signed


def parse_signed(obj: Any, where: str) -> Signed:
    env = _obj(obj, where, {"document", "signature"})
    signature = _hex(env["signature"], 64, f"{where}.signature")
    try:
        return Signed(parse_document(env["document"], f"{where}.document"), signature)
    except GroupError as exc:  # a point or scalar the protocol does not allow
        raise DocumentError(exc.where, exc.problem) from None


def parse_document(obj: Any, where: str) -> Document:
    if not isinstance(obj, Mapping) or not isinstance(obj.get("type"), str):
        raise DocumentError(where, "expected an object with a string type")
    cls = TYPES.get(obj["type"])
    if cls is None:
        raise DocumentError(f"{where}.type", f"unknown document type {obj['type']!r}")
    extra = {"announcement": {"n", "k", "name", "signing_key", "transport_key"},
             "dealing": {"commitments", "proofs", "shares"},
             "confirmation": {"dealings"},
             "complaint": {"dealer", "dealing", "reason"},
             "answer": {"complainant", "share"},
             "decryption": {"totals", "shares"}}[cls.TYPE.split(".", 1)[1]]
    d = _obj(obj, where, {"type", "v", "origin", "trustee"} | extra)
    if type(d["v"]) is not int or d["v"] != VERSION:
        raise DocumentError(f"{where}.v", f"unsupported version {d['v']!r} (expected 1)")
    origin = _text(d["origin"], f"{where}.origin", 1, 300)
    trustee = _int(d["trustee"], f"{where}.trustee")
    w = where
    if cls is Announcement:
        return Announcement(origin, trustee, _int(d["n"], f"{w}.n"), _int(d["k"], f"{w}.k"),
                            _text(d["name"], f"{w}.name", 1, MAX_NAME),
                            _hex(d["signing_key"], 32, f"{w}.signing_key"),
                            _hex(d["transport_key"], 32, f"{w}.transport_key"))
    if cls is Dealing:
        commitments = tuple(decode_point(c, f"{w}.commitments[{j}]")
                            for j, c in enumerate(_list(d["commitments"], f"{w}.commitments")))
        proofs = tuple(SchnorrProof.from_json(p, f"{w}.proofs[{j}]")
                       for j, p in enumerate(_list(d["proofs"], f"{w}.proofs")))
        shares = tuple(_sealed(s, f"{w}.shares[{j}]")
                       for j, s in enumerate(_list(d["shares"], f"{w}.shares")))
        return Dealing(origin, trustee, commitments, proofs, shares)
    if cls is Confirmation:
        pairs = []
        for j, item in enumerate(_list(d["dealings"], f"{w}.dealings")):
            e = _obj(item, f"{w}.dealings[{j}]", {"dealer", "digest"})
            pairs.append((_int(e["dealer"], f"{w}.dealings[{j}].dealer"),
                          _hex(e["digest"], 32, f"{w}.dealings[{j}].digest").hex()))
        return Confirmation(origin, trustee, tuple(pairs))
    if cls is Complaint:
        return Complaint(origin, trustee, _int(d["dealer"], f"{w}.dealer"),
                         _hex(d["dealing"], 32, f"{w}.dealing").hex(),
                         _text(d["reason"], f"{w}.reason", 1, MAX_REASON))
    if cls is Answer:
        return Answer(origin, trustee, _int(d["complainant"], f"{w}.complainant"),
                      decode_scalar(d["share"], f"{w}.share"))
    shares_of_totals = []
    for j, item in enumerate(_list(d["shares"], f"{w}.shares")):
        at = f"{w}.shares[{j}]"
        e = _obj(item, at, {"item", "option", "kind", "d", "proof"})
        if e["kind"] not in KINDS:
            raise DocumentError(f"{at}.kind", 'expected "area" or "heads"')
        shares_of_totals.append(ShareOfTotal(
            _text(e["item"], f"{at}.item", 1, 100), _int(e["option"], f"{at}.option", 0),
            e["kind"], decode_point(e["d"], f"{at}.d"),
            DleqProof.from_json(e["proof"], f"{at}.proof")))
    return Decryption(origin, trustee, _hex(d["totals"], 32, f"{w}.totals").hex(),
                      tuple(shares_of_totals))


def _sealed(obj: Any, where: str) -> SealedShare:
    s = _obj(obj, where, {"to", "ephemeral", "box"})
    return SealedShare(_int(s["to"], f"{where}.to"), _hex(s["ephemeral"], 32,
                       f"{where}.ephemeral"), _hex(s["box"], BOX_BYTES, f"{where}.box"))


def _obj(obj: Any, where: str, keys: set[str]) -> Mapping[str, Any]:
    if not isinstance(obj, Mapping):
        raise DocumentError(where, "expected an object")
    missing, extra = keys - set(obj), set(obj) - keys
    if missing:
        raise DocumentError(where, f"missing field(s) {sorted(missing)}")
    if extra:
        raise DocumentError(where, f"unexpected field(s) {sorted(extra)}")
    return obj


def _list(obj: Any, where: str) -> list[Any]:
    if not isinstance(obj, list):
        raise DocumentError(where, "expected a list")
    return obj


def _int(obj: Any, where: str, low: int = 1) -> int:
    if isinstance(obj, bool) or not isinstance(obj, int) or obj < low:
        raise DocumentError(where, f"expected an integer ≥ {low}")
    return obj


def _text(obj: Any, where: str, low: int, high: int) -> str:
    if not isinstance(obj, str) or not low <= len(obj) <= high or not obj.isprintable():
        raise DocumentError(where, f"expected printable text of {low} to {high} characters")
    return obj


def _hex(obj: Any, size: int, where: str) -> bytes:
    try:
        return canonical.unhex(obj, size, where)
    except EncodingError as exc:
        raise DocumentError(where, str(exc).removeprefix(f"{where} ")) from None

