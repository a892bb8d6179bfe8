"""Witnesses' cosignatures of a log's checkpoints, handed in by the witnesses themselves.

A cosignature authenticates itself: :func:`add` stores it only if it is a valid
cosignature/v1 signature, by a witness an administrator registered, over exactly that
checkpoint (:func:`ledger.store.checkpoints.add_cosignature`), so no sign-in is needed.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ledger.errors import CosignatureError
from ledger.store import checkpoints
from ledger.store.models import Witness
from ownervote.audit import record
from ownervote.services.errors import NotFound
from ownervote.services.unit_of_work import writing


def add(session: Session, assembly_id: int, size: int, cosigned: str) -> str:
    """Store the cosignature of the checkpoint of ``size``; the witness's name.

    ``cosigned``: one signature line (``— name base64``) or the whole cosigned note.
    :class:`NotFound` if no checkpoint of that size was signed; a
    :class:`~ledger.errors.LedgerError` (nothing stored) if it is not a valid signature
    of this checkpoint by a registered witness, or that witness already cosigned it.
    """
    try:
        with writing(session):
            if checkpoints.at_size(session, assembly_id, size) is None:
                raise NotFound("checkpoint", (assembly_id, size))
            stored = checkpoints.add_cosignature(session, assembly_id, size, cosigned)
            witness = session.get(Witness, stored.witness_id)
            assert witness is not None
            name = witness.name
            record(session, f"witness:{name}", "checkpoint.cosign", f"assembly:{assembly_id}",
                   size=size)
    except IntegrityError as exc:  # the same witness's cosignature, stored at the same time
        raise CosignatureError("this witness already cosigned this checkpoint") from exc
    return name
