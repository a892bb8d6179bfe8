"""The OpenAPI 3.1 document of ``/api/v1`` (hand-written; a test compares it with the routes).

Served at ``/api/v1/openapi.json``.  Schemas are JSON Schema 2020-12 as
OpenAPI 3.1 uses them; the tests validate real answers against them.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify

from web.access import public
from web.api import bp


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: list[str], props: dict[str, Any], extra: bool = False) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props,
            "additionalProperties": extra}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
HEX32 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
AREA = {"type": "string", "pattern": r"^[0-9]+\.[0-9]{2}$"}
B64URL = {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"}
TRACKER = {"type": "string", "pattern": "^[A-Z2-7]{4}(-[A-Z2-7]{4}){4}$"}
MEASURE = obj(["area", "heads"], {"area": AREA, "heads": INT})
CHOICES = {"type": "object", "description": "item id -> agree|oppose|abstain, or a list of "
           "approved candidates for an election",
           "additionalProperties": {"anyOf": [
               {"enum": ["agree", "oppose", "abstain"]},
               {"type": "array", "items": STR}]}}

ITEM_REQUIRED = ["id", "title", "description", "kind", "matter", "matter_label", "threshold",
                 "threshold_label", "candidates", "seats", "buildings"]
ITEM_PROPS = {
    "id": STR, "title": STR, "description": STR, "kind": {"enum": ["motion", "election"]},
    "matter": {"type": "integer", "minimum": 1, "maximum": 9,
               "description": "民法典 第278条 matter number"},
    "matter_label": STR, "threshold": {"enum": ["ordinary", "special"]},
    "threshold_label": STR,
    "candidates": nullable({"type": "array", "items": STR}), "seats": nullable(INT),
    "buildings": nullable({"type": "array", "items": STR})}

SCHEMAS: dict[str, Any] = {
    "OpenApiDocument": {"type": "object", "required": ["openapi", "paths"]},
    "Error": obj(["error", "message"], {
        "error": {"type": "string", "description": "stable machine code"},
        "message": {"type": "string", "description": "plain words, in the page's language"},
        "field": STR, "retry_at": TIME, "attempts_left": INT, "next_seq": INT,
        "item": nullable(STR), "detail": STR, "opens_at": TIME,
        "heads": {"type": "array", "items": ref("Head")},
        "secrecy": {"enum": ["open", "secret"]},
        "reason": {"type": "string", "description": "bad_ballot_proof: the secret ballot's "
                   "refusal (docs/secret-ballots.md §10.3)"},
        "where": STR, "option": nullable(INT), "proof": nullable({"enum": ["option", "sum"]})}),
    "Item": obj(ITEM_REQUIRED, ITEM_PROPS),
    "Document": obj(["id", "filename", "mime", "sha256", "size", "url"], {
        "id": INT, "filename": STR, "mime": STR, "sha256": HEX32, "size": INT, "url": STR}),
    "Participation": obj(["item", "total", "participating", "quorum_line", "quorum_met"], {
        "item": STR, "total": MEASURE, "participating": MEASURE, "quorum_line": {"const": "2/3"},
        "quorum_met": BOOL}),
    "Revote": obj(["policy", "explanation"], {
        "policy": {"enum": ["until_close", "once", "none"]}, "explanation": STR}),
    "Assembly": obj(["id", "title", "description", "status", "accepting_ballots", "notice_at",
                     "opens_at", "closes_at", "revote", "items", "documents", "participation",
                     "log", "links", "ballot_secrecy", "election_key"], {
        "id": INT, "title": STR, "description": STR,
        "status": {"enum": ["noticed", "open", "closed", "tallied", "announced"]},
        "accepting_ballots": BOOL, "notice_at": nullable(TIME), "opens_at": nullable(TIME),
        "closes_at": nullable(TIME), "revote": ref("Revote"),
        "items": {"type": "array", "items": ref("Item")},
        "documents": {"type": "array", "items": ref("Document")},
        "participation": {"type": "array", "items": ref("Participation")},
        "log": nullable(obj(["origin", "log_key", "size", "closed"], {
            "origin": STR, "log_key": {"type": "string", "description": "C2SP vkey"},
            "size": INT, "closed": BOOL})),
        "links": obj(["page", "checkpoint"], {"page": STR, "checkpoint": STR}),
        "ballot_secrecy": {"enum": ["open", "secret"]},
        "election_key": nullable({"type": "string", "pattern": "^(02|03)[0-9a-f]{64}$",
                                  "description": "a secret assembly's election key, once "
                                  "noticed (what a challenged ballot is checked against: "
                                  "docs/secret-ballots.md §11.5)"})}),
    "AssemblyList": obj(["assemblies"], {"assemblies": {"type": "array", "items": obj(
        ["id", "title", "status", "opens_at", "closes_at", "ballot_secrecy"], {
            "id": INT, "title": STR, "status": STR, "opens_at": nullable(TIME),
            "closes_at": nullable(TIME),
            "ballot_secrecy": {"type": "string", "enum": ["open", "secret"]}})}}),
    "Consistency": nullable(obj(["from", "to", "proof"], {
        "from": INT, "to": INT, "proof": {"type": "array", "items": HEX32}})),
    "Checkpoint": obj(["origin", "log_key", "size", "root", "note", "signed_at", "witnesses"], {
        "origin": STR, "log_key": STR, "size": INT, "root": HEX32,
        "note": {"type": "string", "description": "C2SP signed note: the log's signature, "
                 "then witnesses' cosignatures"},
        "signed_at": TIME, "witnesses": {"type": "array", "items": STR},
        "consistency": ref("Consistency")}),
    "Receipt": obj(["v", "index", "entry_hash", "tracker", "checkpoint", "proof"], {
        "v": {"const": "ownervote-receipt/v1"}, "index": INT, "entry_hash": HEX32,
        "tracker": TRACKER, "checkpoint": STR, "proof": {"type": "array", "items": HEX32}}),
    "ReceiptLookup": obj(["tracker", "index", "kind", "entry_hash", "time", "checkpoint",
                          "inclusion", "consistency", "mine"], {
        "tracker": TRACKER, "index": INT, "kind": {"enum": ["ballot", "paper_ballot"]},
        "mine": {"type": "boolean",
                 "description": "the signed-in owner votes for the ballot's head; only then "
                                "are entry, head, seq, choices, voided, counts_for and "
                                "replaced given"},
        "entry": {"type": "string", "description": "the entry's exact bytes (UTF-8)"},
        "entry_hash": HEX32, "time": TIME, "head": STR, "seq": INT, "choices": CHOICES,
        "voided": BOOL, "counts_for": {"type": "array", "items": STR},
        "replaced": {"type": "object", "additionalProperties": nullable(INT),
                     "description": "item -> index of the ballot that counts instead"},
        "checkpoint": ref("Checkpoint"),
        "inclusion": {"type": "array", "items": HEX32}, "consistency": ref("Consistency")}),
    "BallotPayload": obj(["choices", "head", "key", "nonce", "origin", "seq"], {
        "choices": CHOICES, "head": STR, "key": HEX32,
        "nonce": {"type": "string", "pattern": "^[A-Za-z0-9_-]{22}$"}, "origin": STR,
        "seq": {"type": "integer", "minimum": 1}}),
    "BallotRequest": obj(["payload", "signature"], {
        "payload": ref("BallotPayload"),
        "signature": {"type": "string", "pattern": "^[A-Za-z0-9_-]{86}$",
                      "description": "ECDSA P-256 over prefix + canonical payload, IEEE P1363 "
                      "r||s, base64url"}}),
    "CastResult": obj(["receipt", "tracker", "index", "seq", "links"], {
        "receipt": ref("Receipt"), "tracker": TRACKER, "index": INT, "seq": INT,
        "links": obj(["receipt_page", "check_page", "lookup"], {
            "receipt_page": STR, "check_page": STR, "lookup": STR})}),
    "Account": obj(["id", "slot", "owner_name_masked", "holder_kind", "holder_label",
                    "phone_masked", "device_key", "may_enrol_device"], {
        "id": INT, "slot": {"type": "string", "description": "where the phone keeps this "
                            "account's keys"},
        "owner_name_masked": STR, "holder_kind": {"enum": ["self", "guardian",
                                                           "legal_representative"]},
        "holder_label": STR, "phone_masked": STR, "device_key": nullable(HEX32),
        "may_enrol_device": BOOL}),
    "Session": obj(["signed_in", "account", "accounts", "csrf_token", "demo_sms"], {
        "signed_in": BOOL, "account": nullable(ref("Account")),
        "accounts": {"type": "array", "items": obj(["id", "owner_name_masked", "holder_label"],
                                                     {"id": INT, "owner_name_masked": STR,
                                                      "holder_label": STR})},
        "csrf_token": STR, "demo_sms": BOOL}),
    "MatchRequest": obj(["assembly_id", "name", "id_number"], {
        "assembly_id": INT, "name": STR,
        "id_type": {"enum": ["resident_id", "passport", "hk_macao_permit", "taiwan_permit"],
                    "default": "resident_id"},
        "id_number": STR, "certificate_no": STR, "building": STR, "unit": STR}),
    "Matched": obj(["token", "expires_at", "owner_name_masked", "holder_kind", "holder_label",
                    "units"], {
        "token": STR, "expires_at": TIME, "owner_name_masked": STR, "holder_kind": STR,
        "holder_label": STR, "units": {"type": "array", "items": STR}}),
    "CodeRequest": obj(["token", "phone"], {"token": STR, "phone": STR}),
    "CodeSent": obj(["phone_masked", "code_expires_at", "resend_at", "demo_sms"], {
        "phone_masked": STR, "code_expires_at": TIME, "resend_at": TIME,
        "demo_sms": nullable(obj(["phone_masked", "body"], {"phone_masked": STR,
                                                            "body": STR}))}),
    "ConfirmRequest": obj(["token", "code"], {"token": STR, "code": STR}),
    "Confirmed": obj(["account", "renewed", "csrf_token"], {
        "account": ref("Account"), "renewed": BOOL, "csrf_token": STR}),
    "DeviceRequest": obj(["spki"], {"spki": {**B64URL, "description": "SPKI DER of a "
                                              "P-256 public key, base64url"}}),
    "DeviceEnrolled": obj(["device_key", "replaced", "ballot_keys_revoked"], {
        "device_key": HEX32, "replaced": INT, "ballot_keys_revoked": INT}),
    "BallotKeyRequest": obj(["head", "spki", "signature"], {
        "head": STR, "spki": B64URL,
        "signature": {**B64URL, "description": "the device key's P1363 signature over "
                      "'ownervote/ballot-key-request/v1\\n' + canonical JSON of "
                      "{device, head, origin, spki}"}}),
    "BallotKeyEnrolled": obj(["key", "head", "index"], {"key": HEX32, "head": STR,
                                                        "index": INT}),
    "Head": obj(["id", "units", "area", "may_vote", "voter", "voted"], {
        "id": STR, "units": {"type": "array", "items": STR}, "area": AREA, "may_vote": BOOL,
        "voter": nullable(obj(["basis", "basis_label", "name_masked"], {
            "basis": STR, "basis_label": STR, "name_masked": STR})),
        "voted": BOOL}),
    "OwnBallot": obj(["index", "seq", "tracker", "channel", "choices", "voided", "counts_for",
                      "cast_at"], {
        "index": INT, "seq": INT, "tracker": TRACKER,
        "channel": {"enum": ["electronic", "paper"]}, "choices": CHOICES, "voided": BOOL,
        "counts_for": {"type": "array", "items": STR}, "cast_at": TIME}),
    "TemplateItem": obj(ITEM_REQUIRED + ["current", "locked"], {
        **ITEM_PROPS,
        "current": {"description": "the choice that counts now, if any (null: none)"},
        "locked": nullable({"type": "string", "description": "why a new ballot on this item "
                            "would be refused"})}),
    "BallotTemplate": obj(["assembly_id", "origin", "log_key", "prefix", "accepting_ballots",
                           "opens_at", "closes_at", "head", "heads", "next_seq", "ballot_key",
                           "items", "ballots", "revote", "ballot_secrecy", "election_key"], {
        "assembly_id": INT, "origin": STR, "log_key": STR,
        "prefix": {"const": "ownervote/ballot/v1\n"},
        "accepting_ballots": BOOL, "opens_at": TIME, "closes_at": TIME, "head": ref("Head"),
        "heads": {"type": "array", "items": ref("Head")}, "next_seq": INT,
        "ballot_key": nullable(HEX32),
        "items": {"type": "array", "items": ref("TemplateItem")},
        "ballots": {"type": "array", "items": ref("OwnBallot")}, "revote": ref("Revote"),
        "ballot_secrecy": {"enum": ["open", "secret"]},
        "election_key": nullable({"type": "string", "pattern": "^(02|03)[0-9a-f]{64}$",
                                  "description": "a secret assembly's election key (the "
                                  "ballot encrypts to it: docs/secret-ballots.md §10.1)"})}),
}

ERRORS = {
    "400": "Malformed request (`malformed`, `bad_tracker`, `choose_head`; `csrf` when the "
           "X-CSRFToken header is missing or wrong)",
    "401": "Not signed in (code `unauthorized`)",
    "403": "Not allowed (`verification_required`, `bad_device_signature`, `not_your_head`)",
    "404": "No such assembly, ballot or ledger (`not_found`, `no_log`, `no_such_ballot`)",
    "409": "Conflict with the ledger's state (`seq_conflict` with `next_seq`, `bad_key`)",
    "422": "Refused by a rule (see docs/api.md for every code)",
    "429": "Too many attempts (`locked_out`, `resend_too_soon`, `too_many_requests`, with "
           "`retry_at`)",
    "503": "SMS gateway unavailable (`sms_unavailable`)",
}


def _responses(ok: str, schema: str, *errors: str) -> dict[str, Any]:
    out: dict[str, Any] = {ok: {"description": "OK", "content": {
        "application/json": {"schema": ref(schema)}}}}
    for code in errors:
        out[code] = {"$ref": f"#/components/responses/E{code}"}
    return out


def _op(summary: str, ok: str, schema: str, *errors: str, body: str | None = None,
        params: list | None = None, security: list | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": _responses(ok, schema, *errors)}
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": ref(body)}}}
    if params:
        op["parameters"] = params
    if security is not None:
        op["security"] = security
    return op


AID = {"name": "assembly_id", "in": "path", "required": True, "schema": INT}
SESSION: list[dict[str, list[str]]] = [{"cookieSession": [], "csrfHeader": []}]
OPEN: list = []


def document() -> dict[str, Any]:
    a = "/assemblies/{assembly_id}"
    tracker = {"name": "tracker", "in": "path", "required": True, "schema": STR}
    since = {"name": "from", "in": "query", "required": False, "schema": INT,
             "description": "size of an earlier checkpoint: adds a consistency proof to now"}
    head = {"name": "head", "in": "query", "required": False, "schema": STR}
    return {
        "openapi": "3.1.0",
        "info": {"title": "ownervote API", "version": "1",
                 "description": "Owners' assembly e-voting: identity verification, device "
                 "keys, signed ballots and receipts. See docs/api.md."},
        "servers": [{"url": "/api/v1"}],
        "security": OPEN,
        "paths": {
            "/openapi.json": {"get": _op("This document", "200", "OpenApiDocument")},
            "/session": {"get": _op("Who is signed in; the CSRF token for POSTs", "200",
                                    "Session")},
            "/verification/match": {"post": _op(
                "Step 1: match name, ID and home against the registry", "200", "Matched",
                "400", "403", "404", "422", "429", "503", body="MatchRequest")},
            "/verification/code": {"post": _op(
                "Step 2: send a one-time code by SMS", "200", "CodeSent", "400", "403", "422",
                "429", "503", body="CodeRequest")},
            "/verification/confirm": {"post": _op(
                "Step 3: confirm the code; signs in", "200", "Confirmed", "400", "403", "422",
                "429", "503", body="ConfirmRequest")},
            "/devices": {"post": _op(
                "Enrol this phone's device key (within 30 min of step 3)", "201",
                "DeviceEnrolled", "400", "401", "403", "422", "503", body="DeviceRequest",
                security=SESSION)},
            "/assemblies": {"get": _op("Published assemblies", "200", "AssemblyList")},
            a: {"get": _op("Agenda, documents, window and participation", "200", "Assembly",
                           "404", params=[AID])},
            a + "/checkpoint": {"get": _op("Newest signed checkpoint (with cosignatures)",
                                           "200", "Checkpoint", "400", "404",
                                           params=[AID, since])},
            a + "/receipts/{tracker}": {"get": _op(
                "A ballot by tracker code, with proofs to the newest checkpoint", "200",
                "ReceiptLookup", "400", "404", params=[AID, tracker, since])},
            a + "/ballot-template": {"get": _op(
                "What to sign for one head: origin, head, next seq, items", "200",
                "BallotTemplate", "400", "401", "403", "404", params=[AID, head],
                security=[{"cookieSession": []}])},
            a + "/ballot-keys": {"post": _op(
                "Enrol a ballot key for a head (signed by the device key)", "201",
                "BallotKeyEnrolled", "400", "401", "403", "404", "409", "422", "429",
                body="BallotKeyRequest", params=[AID], security=SESSION)},
            a + "/ballots": {"post": _op(
                "Cast a signed ballot (authenticated by its signature; no cookie, no CSRF)",
                "201", "CastResult", "400", "404", "409", "422", "429", body="BallotRequest",
                params=[AID], security=OPEN)},
        },
        "components": {
            "schemas": SCHEMAS,
            "responses": {f"E{code}": {"description": text, "content": {
                "application/json": {"schema": ref("Error")}}} for code, text in ERRORS.items()},
            "securitySchemes": {
                "cookieSession": {"type": "apiKey", "in": "cookie", "name": "session",
                                  "description": "set by /verification/confirm"},
                "csrfHeader": {"type": "apiKey", "in": "header", "name": "X-CSRFToken",
                               "description": "csrf_token from /session or /verification/"
                               "confirm"},
            },
        },
    }


@bp.get("/openapi.json")
@public
def openapi_json():
    return jsonify(document())
