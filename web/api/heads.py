"""An account's heads in an assembly as pages and the API show them.

Who votes for which head, the account's ballots and the items a new ballot could not
change are worked out by :mod:`ownervote.services.owner_heads`; this module words
and shapes them.  The voter reference in the ledger is
:meth:`identity.keyed.KeyedHasher.ledger_voter_ref` (:func:`voter_reference` only
calls it, for the pages that need it).
"""

from __future__ import annotations

from typing import Any

from identity.keyed import KeyedHasher
from ownervote.services import owner_heads
from ownervote.services.owner_heads import HeadView, ItemLocks
from web import instance
from web.api.messages import BASIS, refusal_message
from web.database import db


def voter_reference(hasher: KeyedHasher, origin: str, owner_id_hash: str) -> str:
    """The pseudonym of an owner in one log's ``key.enrolled``/``representative.set`` entries
    (:meth:`~identity.keyed.KeyedHasher.ledger_voter_ref`)."""
    return hasher.ledger_voter_ref(origin, owner_id_hash)


def owner_masked_name(owner_id: int | None) -> str:
    return owner_heads.owner_masked_name(db(), owner_id, instance.pii())


def heads_for(a, account) -> list[HeadView]:
    """The account's heads in ``a`` (and units it bought during the vote), with who votes
    for each and each head's ballots."""
    return owner_heads.heads_for(db(), a.id, account.id, hasher=instance.hasher(),
                                 cipher=instance.pii())


def head_json(view: HeadView) -> dict[str, Any]:
    h = view.head
    return {
        "id": h.head_id,
        "units": list(h.units),
        "area": f"{h.area:.2f}",
        "may_vote": h.may_vote,
        "voter": None if h.may_vote else {
            "basis": h.voter.basis,
            "basis_label": str(BASIS.get(h.voter.basis, "")),
            "name_masked": view.voter_name,
        },
        "voted": bool(view.ballots),
    }


def lock_messages(locks: ItemLocks, titles: dict[str, str]) -> dict[str, str]:
    """Item id -> why a new online ballot on it would be refused now, in words."""
    return {item: refusal_message(exc, titles, locks.co_owner)
            for item, exc in locks.refusals.items()}
