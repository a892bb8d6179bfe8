"""The witness's HTTP service (C2SP tlog-witness): ``POST /add-checkpoint``.

A separate, small WSGI application run by ``ownervote witness serve``; it shares
nothing with the main application but the service layer.  ``GET /`` shows the witness's
key and the logs it trusts, in plain text.
"""

from __future__ import annotations

from flask import Flask, Response, request

from ledger.witness import MAX_BODY_BYTES
from ownervote.services.witness import WitnessService


def create_witness_app(service: WitnessService) -> Flask:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

    @app.post("/add-checkpoint")
    def add_checkpoint() -> Response:
        answer = service.add_checkpoint(request.get_data(cache=False))
        return Response(answer.body, status=answer.status, content_type=answer.content_type)

    @app.get("/")
    def describe() -> Response:
        return Response(service.describe(), content_type="text/plain; charset=utf-8")

    return app
