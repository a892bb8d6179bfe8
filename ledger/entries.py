"""Ledger entries: kinds, the canonical envelope, the hash chain.

An entry is the canonical JSON (``ledger.canonical``) of

    {"body": {...}, "index": n, "kind": "...", "prev": "<hex>", "time": ms, "v": 1}

``index`` is its 0-based position, ``prev`` the entry hash of entry
``index - 1`` (64 zeros for entry 0), ``time`` the server's clock in Unix
milliseconds (never decreasing).  The *entry hash* is the RFC 6962 leaf hash
``SHA-256(0x00 || entry bytes)``: the chain link, the Merkle leaf and the
receipt's tracker are one value.

Kinds whose body is ``{"payload": {...}, "sig": "<base64url>"}`` carry a
payload signed by someone other than the log (see :data:`SIGNED`): a voter's
device, a committee member's key, or the log key attesting an enrolment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from ledger import canonical, merkle
from ledger.ballots import (
    PREFIXES,
    ballot_content_keys,
    check_ballot_payload,
    check_common,
    check_content,
    check_key_id,
    check_seq,
    expect_keys,
)
from ledger.errors import EncodingError, EntryError
from ledger.kinds import (  # the kinds, named here too: the entries' own vocabulary
    BALLOT,
    CLOSED,
    FINAL,
    KEY_ENROLLED,
    KEY_REVOKED,
    KINDS,
    OFFICIAL_ENROLLED,
    PAPER_BALLOT,
    PROXY_REGISTERED,
    PUBLISHED,
    REPRESENTATIVE_SET,
    RESULT,
    SIGNED,
    TRUSTEE_KINDS,
    UNIT_TRANSFERRED,
    VOIDED,
)
from ledger.payloads import OWNER_ROLE, PROXY_ROLE, AnyPayload, Payload, typed
from ledger.witnesspolicy import WitnessPolicy

P = TypeVar("P", bound=Payload)

VERSION = 1
GENESIS_PREV = bytes(32)


@dataclass(frozen=True, slots=True)
class Entry:
    index: int
    prev: bytes
    time: int
    kind: str
    body: dict[str, Any]
    #: the signed payload as its typed, frozen value (kinds in :data:`SIGNED`), else None;
    #: made from ``body`` when the entry is made
    payload: AnyPayload | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.payload is None and self.kind in SIGNED:
            object.__setattr__(self, "payload", typed(self.kind, self.body["payload"]))

    def payload_as(self, cls: type[P]) -> P:
        """The signed payload, which the caller knows to be a ``cls`` (by the entry's kind)."""
        if not isinstance(self.payload, cls):
            raise EntryError(f"a {self.kind} entry has no {cls.__name__} payload", self.index)
        return self.payload


def encode_entry(index: int, prev: bytes, time_ms: int, kind: str, body: dict[str, Any]) -> bytes:
    if kind not in KINDS:
        raise EntryError(f"unknown kind {kind!r}", index)
    check_body(kind, body, index)
    return canonical.encode(
        {
            "v": VERSION,
            "index": index,
            "prev": prev.hex(),
            "time": time_ms,
            "kind": kind,
            "body": body,
        }
    )


def entry_hash(data: bytes) -> bytes:
    return merkle.leaf_hash(data)


def parse_entry(data: bytes, index: int, *, fast: bool = False) -> Entry:
    """Parse and check one entry's bytes (canonical form, envelope and body schema)."""
    try:
        obj = canonical.decode_fast(data) if fast else canonical.decode(data)
        expect_keys(obj, {"v", "index", "prev", "time", "kind", "body"}, "entry")
    except EncodingError as exc:
        raise EntryError(str(exc), index) from None
    if obj["v"] != VERSION:
        raise EntryError(f"version {obj['v']!r} is not {VERSION}", index)
    if obj["index"] != index:
        raise EntryError(f"says index {obj['index']!r}, found at position {index}", index)
    t = obj["time"]
    if not isinstance(t, int) or isinstance(t, bool) or t < 0:
        raise EntryError("time must be a non-negative integer (Unix ms)", index)
    kind = obj["kind"]
    if kind not in KINDS:
        raise EntryError(f"unknown kind {kind!r}", index)
    try:
        prev = canonical.unhex(obj["prev"], 32, "prev")
    except EncodingError as exc:
        raise EntryError(str(exc), index) from None
    body = obj["body"]
    check_body(kind, body, index)
    return Entry(index, prev, t, kind, body)


def _str(v: Any, what: str, max_len: int = 2000) -> None:
    if not isinstance(v, str) or len(v) > max_len:
        raise EncodingError(f"{what} must be a string of at most {max_len} characters")


def _sha(v: Any, what: str) -> None:
    canonical.unhex(v, 32, what)


def _official(p: dict[str, Any]) -> None:
    check_common(p)
    check_key_id(p["official"], "official")


def _check_payload(kind: str, p: Any) -> None:
    if kind == BALLOT:
        check_ballot_payload(p)
    elif kind == PAPER_BALLOT:
        # "voter" (optional): the co-owner who signed the paper ballot (co-owner rule)
        expect_keys(
            p,
            {"origin", "head", "official", "seq", "nonce", "scan_sha256"}
            | ballot_content_keys(p) | ({"voter"} if "voter" in p else set()),
            "paper ballot payload",
        )
        _official(p)
        if "voter" in p:
            _str(p["voter"], "voter", 64)
        check_seq(p["seq"])
        check_content(p)
        _sha(p["scan_sha256"], "scan_sha256")
    elif kind == PROXY_REGISTERED:
        expect_keys(
            p, {"origin", "head", "agent", "official", "nonce", "evidence_sha256"}, "proxy payload"
        )
        _official(p)
        _str(p["agent"], "agent", 64)
        _sha(p["evidence_sha256"], "evidence_sha256")
    elif kind == REPRESENTATIVE_SET:
        expect_keys(p, {"origin", "head", "voter", "official", "nonce"}, "representative payload")
        _official(p)
        _str(p["voter"], "voter", 64)
    elif kind == UNIT_TRANSFERRED:
        # "unit" (optional): the unit sold out of a multi-unit head; "buyer_head" (only
        # with "unit"): the head the buyer already is
        optional = set(p) & {"unit", "buyer_head"} if isinstance(p, dict) else set()
        expect_keys(p, {"origin", "head", "buyer", "transferred_at", "official", "nonce",
                        "evidence_sha256"} | optional, "transfer payload")
        _official(p)
        _str(p["buyer"], "buyer", 64)
        if "buyer_head" in p and "unit" not in p:
            raise EncodingError("buyer_head is given only with unit")
        if "unit" in p:
            _str(p["unit"], "unit", 200)
        if "buyer_head" in p:
            _str(p["buyer_head"], "buyer_head", 64)
        at = p["transferred_at"]
        if not isinstance(at, int) or isinstance(at, bool) or not 0 <= at <= canonical.MAX_INT:
            raise EncodingError("transferred_at must be a time in Unix milliseconds")
        _sha(p["evidence_sha256"], "evidence_sha256")
    elif kind == VOIDED:
        expect_keys(p, {"origin", "target", "reason", "official", "nonce"}, "void payload")
        _official(p)
        if not isinstance(p["target"], int) or isinstance(p["target"], bool) or p["target"] < 0:
            raise EncodingError("target must be an entry index")
        _str(p["reason"], "reason")
    elif kind == KEY_ENROLLED:
        expect_keys(
            p, {"origin", "head", "key", "spki", "role", "agent", "voter"}, "enrolment payload"
        )
        check_common(p)
        check_key_id(p["key"], "key")
        canonical.unb64url(p["spki"], "spki")
        if p["role"] not in (OWNER_ROLE, PROXY_ROLE):
            raise EncodingError("role must be owner or proxy")
        if (p["role"] == PROXY_ROLE) != (p["agent"] is not None):
            raise EncodingError("a proxy key names its agent, an owner key none")
        if p["agent"] is not None:
            _str(p["agent"], "agent", 64)
        _str(p["voter"], "voter", 64)
    elif kind == KEY_REVOKED:
        expect_keys(p, {"origin", "head", "key", "reason"}, "revocation payload")
        check_common(p)
        check_key_id(p["key"], "key")
        _str(p["reason"], "reason")
    elif kind == OFFICIAL_ENROLLED:
        expect_keys(p, {"origin", "official", "spki", "role", "ref"}, "official payload")
        check_common(p)
        check_key_id(p["official"], "official")
        canonical.unb64url(p["spki"], "spki")
        if p["role"] != "committee":
            raise EncodingError("official role must be committee")
        _str(p["ref"], "ref", 64)


def check_body(kind: str, body: Any, index: int | None = None) -> None:
    """Check the shape of an entry body (not signatures, not rules)."""
    try:
        if kind in SIGNED:
            expect_keys(body, {"payload", "sig"}, f"{kind} body")
            canonical.unb64url(body["sig"], "sig")
            _check_payload(kind, body["payload"])
        elif kind == PUBLISHED:
            # witness_policy is optional: absent when no witness was configured (and in
            # logs published before the log asked witnesses itself)
            optional = set(body) & {"witness_policy"} if isinstance(body, dict) else set()
            expect_keys(body, {"origin", "assembly", "roster_sha256", "log_key"} | optional,
                        "published body")
            if optional:
                WitnessPolicy.from_doc(body["witness_policy"])
            _str(body["origin"], "origin", 200)
            _sha(body["roster_sha256"], "roster_sha256")
            _str(body["log_key"], "log_key", 300)
            if not isinstance(body["assembly"], dict):
                raise EncodingError("assembly must be an object")
        elif kind in TRUSTEE_KINDS:
            check_trustee_body(kind, body)
        elif kind == CLOSED:
            expect_keys(body, {"reason"}, "closed body")
            _str(body["reason"], "reason")
        elif kind == RESULT:
            expect_keys(body, {"result"}, "result body")
            if not isinstance(body["result"], dict):
                raise EncodingError("result must be an object")
        elif kind == FINAL:
            expect_keys(body, {"result_sha256", "objections"}, "final body")
            _sha(body["result_sha256"], "result_sha256")
            n = body["objections"]
            if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                raise EncodingError("objections must be a non-negative integer")
    except EncodingError as exc:
        raise EntryError(str(exc), index) from None


def check_trustee_body(kind: str, body: Any) -> None:
    """A trustee entry's body is the trustee's signed envelope, parsed as
    :func:`ledger.secret.trustee_docs.parse_signed` does, of the entry's kind; its
    signature and its place in the ceremony are checked by the rules (the replay)."""
    from ledger.secret.trustee_docs import parse_signed
    from ledger.secret.trustee_errors import TrusteeError

    try:
        signed = parse_signed(body, "body")
    except TrusteeError as exc:
        raise EncodingError(f"trustee document: {exc}") from None
    if signed.document.TYPE != kind:
        raise EncodingError(f"a {kind} entry holds a {signed.document.TYPE} document")
    if signed.canonical() != canonical.encode(body):
        raise EncodingError("trustee document: a value is not written as its field requires")


def signed_message(kind: str, payload: dict[str, Any]) -> bytes:
    """What the signer of a ``SIGNED`` kind signs: its domain prefix + canonical payload."""
    return PREFIXES[kind] + canonical.encode(payload)


def signed_body(kind: str, payload: dict[str, Any], sig: bytes) -> dict[str, Any]:
    return {"payload": payload, "sig": canonical.b64url(sig)}
