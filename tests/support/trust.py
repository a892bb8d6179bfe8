"""A witness in the test's own process (``WitnessService`` behind the log's ``post``), the
settings that make the log ask it, and the demo loaded with it: demo logs whose notices fix
a witness policy of 1 of 1 (the street office)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ledger.keys import load_or_create_log_key, log_key_name
from ownervote.services.witness import WitnessService
from tests.support.witnessing import witness_key, write_witness_files

URL = "http://witness.test"
STREET_OFFICE = "street-office.demo/witness"


class InProcessWitness:
    """The street office's witness, reached through :meth:`post` (no HTTP)."""

    def __init__(self, directory: Path, settings, name: str = STREET_OFFICE) -> None:
        log_key = load_or_create_log_key(settings.log_key_file, log_key_name(settings.base_url))
        self.key = witness_key(name)
        directory.mkdir(parents=True, exist_ok=True)
        paths = write_witness_files(directory, key=self.key,
                                    logs_text=log_key.verifier.vkey + "\n")
        self.service = WitnessService.open(*paths)
        self.settings = dataclasses.replace(settings,
                                            witnesses=f"{URL} {self.key.verifier.vkey}")

    @property
    def name(self) -> str:
        return self.key.verifier.name

    def post(self, url: str, body: bytes) -> tuple[int, bytes]:
        assert url == f"{URL}/add-checkpoint"
        answer = self.service.add_checkpoint(body)
        return answer.status, answer.body.encode()


def cosign_all(engine, witness: InProcessWitness) -> list:
    """Have the witness cosign every log's newest checkpoint it lacks (the timer's job)."""
    import datetime as dt

    from ownervote.db import make_session_factory
    from ownervote.services import witnessing

    return witnessing.request_cosignatures(make_session_factory(engine), witness.settings,
                                           dt.datetime.now(dt.UTC), post=witness.post)
