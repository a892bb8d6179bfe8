"""The end of a stored test log, as the store functions do it: close, publish a result,
issue a checkpoint, export the audit bundle and verify it with the log key — and a
committee void of one entry.  For the storage tests of tests/db that check the verifier
replays the same rule as the stored count."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ledger.kinds import VOIDED
from ledger.report import Report
from ledger.store import checkpoints
from ledger.store import committee as entries
from ledger.store.export import export_bundle
from ledger.store.logstore import begin_write
from ledger.verifier import verify_bundle
from tests.support.sample_log import DURING, LOG_SIGNER

CLOSED = DURING + dt.timedelta(days=20)


def publish_and_verify(session: Session, aid: int, result: dict[str, Any], tmp_path: Path, *,
                       published_at: dt.datetime = CLOSED + dt.timedelta(days=1),
                       checkpoint: bool = True) -> Report:
    """Close the log (at :data:`CLOSED`), publish ``result`` (a tally's JSON), optionally
    issue a checkpoint, export the bundle to ``tmp_path/a.zip`` and verify it."""
    session.commit()
    begin_write(session)
    entries.append_closing(session, aid, now=CLOSED, signer=LOG_SIGNER)
    entries.publish_result(session, aid, result, now=published_at)
    if checkpoint:
        checkpoints.issue_checkpoint(session, aid, LOG_SIGNER)
    session.commit()
    out = export_bundle(session, aid, tmp_path / "a.zip", LOG_SIGNER)
    return verify_bundle(out["out"], workers=1, log_key=LOG_SIGNER.verifier.vkey)


def void(session: Session, aid: int, committee: Any, target: int, *, now: dt.datetime,
         reason: str = "recorded by mistake") -> None:
    """The committee voids entry ``target`` (``committee``: the tests/db fixture signing
    committee entries); the store's refusal propagates, with nothing written."""
    begin_write(session)
    payload, sig = committee(VOIDED, target=target, reason=reason)
    try:
        entries.void_entry(session, aid, payload, sig, now=now)
    except Exception:
        session.rollback()
        raise
    session.commit()
