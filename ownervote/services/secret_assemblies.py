"""What the pages of a secret assembly need beside the ballot template: the setting,
the ballot number a committee member's browser encrypts a paper ballot for
(docs/secret-ballots.md §10.1), and the check of a challenged ballot (§9.3) for the
auditor's JSON endpoint.  The election key is
:func:`ownervote.services.paper_ballots.election_key_hex` (the ledger's); the trustees and
the ceremony's state :func:`ownervote.services.trustee_documents.ceremony_status`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ledger.secret.audit import audit_challenge
from ledger.secret.ballot import ItemShape
from ledger.secret.errors import AuditMismatch, BallotRefused
from ledger.secret.group import GroupError, decode_point
from ledger.store import writer
from ownervote.services.owner_assemblies import settings_of
from voting.store.models import Assembly


def ballot_secrecy(a: Assembly) -> str:
    """``"open"`` or ``"secret"``."""
    return settings_of(a).ballot_secrecy.value


def next_seq(session: Session, assembly_id: int, head_id: str) -> int:
    """The ballot number the head's next ballot must carry: a secret ballot's proofs are
    bound to it, so the browser encrypts for it (a committee member's paper ballot)."""
    return writer.next_seq(session, assembly_id, head_id)


class ChallengeMalformed(ValueError):
    """A challenged ballot's text is not what a phone hands over (docs/secret-ballots.md
    §11.5): says which field."""


def _layout(items: Any) -> tuple[dict[str, ItemShape], dict[str, list[str]]]:
    if not isinstance(items, list) or not items:
        raise ChallengeMalformed("items: a non-empty list")
    layout, names = {}, {}
    for i, it in enumerate(items):
        key = it.get("key") if isinstance(it, dict) else None
        if not isinstance(key, str) or key in layout:
            raise ChallengeMalformed(f"items[{i}]: an item with its own key")
        try:
            if it.get("kind") == "motion":
                layout[key] = ItemShape("motion")
            elif it.get("kind") == "election" and isinstance(it.get("candidates"), list):
                names[key] = [str(c) for c in it["candidates"]]
                layout[key] = ItemShape("election", len(names[key]), int(it.get("seats", 0)),
                                        it.get("paper") is True)
            else:
                raise ChallengeMalformed(f"items[{i}]: a motion, or an election with its "
                                         "candidates")
        except (TypeError, ValueError) as exc:
            raise ChallengeMalformed(f"items[{i}]: {exc}") from None
    return layout, names


def _shown(choices: Any, names: dict[str, list[str]]) -> dict[str, Any] | None:
    """The choices the phone showed, an election's candidates named as indices."""
    if choices is None:
        return None
    if not isinstance(choices, dict):
        raise ChallengeMalformed("choices: an object")
    out: dict[str, Any] = {}
    for key, value in choices.items():
        if isinstance(value, list) and key in names:
            if not all(v in names[key] for v in value):
                raise ChallengeMalformed(f"choices.{key}: not the item's candidates")
            out[key] = sorted(names[key].index(v) for v in value)
        else:
            out[key] = value
    return out


def check_challenge(data: Any) -> dict[str, Any]:
    """Check a challenged (never cast) ballot with its revealed randomness, as the public
    auditor page does in the browser (:func:`ledger.secret.audit.audit_challenge`).

    ``{"ok": true, "choices": {item: word | [candidate names] | "invalid"}}``; or
    ``{"ok": false, "refused": {code, where, item, option, proof}}`` (its proofs fail, as on
    casting) or ``{"ok": false, "mismatch": {where, item, option, detail}, "choices"?}``
    (the randomness does not open it, or it holds other choices than shown).  Raises
    :class:`ChallengeMalformed` for text that is no challenged ballot."""
    if not isinstance(data, dict) or data.get("v") != 1:
        raise ChallengeMalformed("a challenged ballot: an object with v = 1")
    origin, head, seq = data.get("origin"), data.get("head"), data.get("seq")
    if not isinstance(origin, str) or not isinstance(head, str):
        raise ChallengeMalformed("origin and head: strings")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise ChallengeMalformed("seq: a whole number")
    try:
        hk = decode_point(data.get("key"), "key")
    except GroupError as exc:
        raise ChallengeMalformed(f"key: {exc.problem}") from None
    layout, names = _layout(data.get("items"))
    shown = _shown(data.get("choices"), names)

    def named(choices: dict[str, Any]) -> dict[str, Any]:
        return {k: [names[k][i] for i in v] if isinstance(v, list) else v
                for k, v in choices.items()}

    args = (hk, origin, head, seq, layout, data.get("encrypted"), data.get("reveal"))
    try:
        opened = audit_challenge(*args)
    except BallotRefused as exc:
        return {"ok": False, "refused": exc.as_dict()}
    except AuditMismatch as exc:
        return {"ok": False, "mismatch": {**exc.as_dict(), "detail": exc.detail}}
    try:
        audit_challenge(*args, shown=shown)
    except (AuditMismatch, ValueError) as exc:
        where = exc.as_dict() if isinstance(exc, AuditMismatch) else {"where": "choices"}
        return {"ok": False, "mismatch": {**where, "detail": str(exc)},
                "choices": named(opened)}
    return {"ok": True, "choices": named(opened)}
