"""The witness service: answer a C2SP tlog-witness ``add-checkpoint`` request.

:class:`WitnessService` joins the pure checks (:mod:`ledger.witness`) to the state on
disk (:mod:`ledger.store.witnessstate`): the checks against the latest cosigned
checkpoint and the persisting of the new one happen under the origin's lock, so the
stored size only ever grows; a refused checkpoint that a trusted log signed but that
does not extend the record is kept as evidence.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from ledger.errors import KeyFileError
from ledger.keys import load_key_file
from ledger.note import ALG_COSIGNATURE_V1, Checkpoint, Signer
from ledger.store.witnessstate import WitnessState
from ledger.witness import (
    AddCheckpoint,
    Latest,
    Refused,
    RequestError,
    TrustedLog,
    Why,
    cosignature_lines,
    judge,
    parse_request,
    parse_trusted_logs,
)

log = logging.getLogger("ownervote.witness")


@dataclass(frozen=True)
class Answer:
    """What to send back: HTTP status, body and its content type."""

    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


class WitnessService:
    """One witness: its cosigning key(s), the logs it trusts and its state directory."""

    def __init__(self, signers: tuple[Signer, ...], logs: tuple[TrustedLog, ...],
                 state: WitnessState) -> None:
        self.signers = signers
        self.logs = logs
        self.state = state

    @classmethod
    def open(cls, key_file: Path, logs_file: Path, state_dir: Path) -> WitnessService:
        """Load the key file (a cosignature/v1 key), the logs file and the state directory.

        Raises a :class:`~ledger.errors.LedgerError` (or ``OSError``) naming what is wrong.
        """
        signer = load_key_file(key_file)
        if signer.alg != ALG_COSIGNATURE_V1:
            raise KeyFileError(f"{key_file} is not a witness (cosignature/v1, 0x04) key; "
                               "create one with `ownervote keys witness-new`")
        logs = parse_trusted_logs(logs_file.read_text(encoding="utf-8"))
        return cls((signer,), logs, WitnessState(state_dir))

    def add_checkpoint(self, body: bytes, now: int | None = None) -> Answer:
        try:
            request = parse_request(body)
        except RequestError as exc:
            return Answer(400, f"{exc}\n")
        origin = request.checkpoint.origin

        def decide(latest: Latest | None) -> tuple[Answer | Refused,
                                                   tuple[int, bytes, str] | None]:
            verdict = judge(request, self.logs, latest)
            if isinstance(verdict, Refused):
                return verdict, None
            return self._cosign(verdict, now), _record(request, verdict)

        outcome = self.state.compare_and_persist(origin, decide)
        if isinstance(outcome, Answer):
            log.info("cosigned %s at size %d", origin, request.checkpoint.size)
            return outcome
        if outcome.evidence:
            kept = self.state.keep_evidence(origin, body, outcome.reason)
            log.warning("refused %s (%s), kept as evidence in %s", origin, outcome.reason, kept)
        else:
            log.info("refused %s: %d %s", origin, outcome.status, outcome.why)
        return Answer(outcome.status, outcome.body, outcome.content_type)

    def _cosign(self, checkpoint: Checkpoint, now: int | None) -> Answer:
        timestamp = int(time.time()) if now is None else now
        return Answer(200, cosignature_lines(checkpoint, self.signers, timestamp))

    def describe(self) -> str:
        """A plain-text page: the witness's verifier keys and the logs it trusts."""
        lines = ["ownervote witness (C2SP tlog-witness): POST /add-checkpoint", ""]
        lines += [f"witness key: {s.verifier.vkey}" for s in self.signers]
        lines += [f"trusted log: {t.verifier.vkey} for {t.pattern}" for t in self.logs]
        return "\n".join(lines) + "\n"


def _record(request: AddCheckpoint, checkpoint: Checkpoint) -> tuple[int, bytes, str]:
    return checkpoint.size, checkpoint.root, request.note.serialize()


__all__ = ["Answer", "WitnessService", "Why"]
