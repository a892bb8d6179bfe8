"""An assembly's trust anchors (:mod:`ledger.trustanchors`), as the notice prints them, and
what its newest checkpoint still lacks of the witness policy's cosignatures.

Both are reads, in the caller's read transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.cosigning import LEASE_SECONDS
from ledger.store import checkpoints, logstore
from ledger.store.models import Cosignature, LogHead, Witness
from ledger.trustanchors import TrustAnchors


def trust_anchors(session: Session, assembly_id: int) -> TrustAnchors | None:
    """The log key and witness policy entry 0 states (None before the notice)."""
    if session.get(LogHead, assembly_id) is None:
        return None
    return TrustAnchors.of_published(logstore.read_entry(session, assembly_id, 0).body)


@dataclass(frozen=True)
class MissingCosignatures:
    """The newest checkpoint has fewer of the policy's cosignatures than its quorum."""

    size: int  # the newest checkpoint's tree size
    signed_at: dt.datetime  # when the log signed it (the witnesses are asked from then on)
    missing: int  # how many more cosignatures the policy requires
    witnesses: tuple[str, ...]  # the policy's witnesses that have not cosigned it


def missing_cosignatures(session: Session, assembly_id: int) -> MissingCosignatures | None:
    """What the newest checkpoint lacks of the witness policy (None: nothing, or no policy)."""
    anchors = trust_anchors(session, assembly_id)
    row = checkpoints.latest(session, assembly_id)
    if anchors is None or anchors.policy is None or row is None:
        return None
    cosigners = [checkpoints.witness_verifier(w) for w in session.scalars(
        select(Witness).join(Cosignature, Cosignature.witness_id == Witness.id)
        .where(Cosignature.checkpoint_id == row.id))]
    counted = anchors.policy.counted(cosigners)
    missing = anchors.policy.quorum - len(counted)
    if missing <= 0:
        return None
    return MissingCosignatures(row.size, row.created_at, missing, tuple(
        w.name for w in anchors.policy.witnesses if w.name not in counted))


def overdue(gap: MissingCosignatures, now: dt.datetime) -> bool:
    """Whether the witnesses have had time to answer: the timer asks them within a minute
    of a new checkpoint (two leases of :data:`ledger.cosigning.LEASE_SECONDS`)."""
    return now - gap.signed_at > dt.timedelta(seconds=2 * LEASE_SECONDS)
