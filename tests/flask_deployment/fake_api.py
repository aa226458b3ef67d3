"""A stand-in for the prediction service: a real HTTP server on loopback, with scripted answers.

For tests of the form's own logic (service down, no model, slow, rejecting); the end-to-end test
uses the real service. It speaks the contract the service and the form share
(:mod:`paris_housing.contract`): ``POST /predict`` with the features as JSON -> a ``Prediction``,
or an ``ErrorBody`` for a refusal; its answers are built with those models.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from paris_housing.contract import ErrorBody, Prediction, Problem

MODEL_NAME = "paris-housing-kaggle"
MODEL_VERSION = "7"


def fake_price(features: dict[str, Any]) -> float:
    """The stand-in's price: a simple function of the inputs, so tests can predict it."""
    return 100.0 * features["squareMeters"] + 2_500.0 * features["hasPool"] + 0.4


@dataclass
class Received:
    """One request the stand-in got."""

    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeApi:
    """The running stand-in: its URL, what it received, and how it should answer next."""

    url: str = ""
    mode: str = "ok"  # ok | unavailable | slow | reject | garbage
    delay: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)  # merged into 200 answers
    received: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    def answer(self, body: Any) -> tuple[int, Any]:
        """The status and JSON body for a ``/predict`` request."""
        request_id = self.received[-1].headers.get("x-request-id", "none")
        if self.mode == "unavailable":
            return (
                503,
                ErrorBody(
                    request_id=request_id,
                    error="no_model",
                    message="no champion model in the registry yet",
                ).model_dump(),
            )
        if self.mode == "reject":
            floors = Problem(
                loc=["body", "floors"],
                field="floors",
                input=99,
                msg="floors: 99 must be a whole number from 1 to 50",
                allowed="a whole number from 1 to 50",
                type="out_of_range",
            )
            paris = Problem(
                loc=["body"], field=None, msg="the home is not in Paris", type="elsewhere"
            )
            return (
                422,
                ErrorBody(
                    request_id=request_id,
                    error="validation",
                    message=f"{floors.msg}; {paris.msg}",
                    detail=[floors, paris],
                ).model_dump(),
            )
        if self.mode == "garbage":
            return 200, {"price": "lots"}
        if self.mode == "slow":
            time.sleep(self.delay)
        answer = Prediction(
            request_id=request_id,
            price=fake_price(body),
            currency="EUR",
            model_name=MODEL_NAME,
            model_version=MODEL_VERSION,
        )
        return 200, {**answer.model_dump(), **self.extra}

    def start(self) -> FakeApi:
        """Serve on a free loopback port in a background thread."""
        api = self

        class Handler(BaseHTTPRequestHandler):
            """Records each request, then answers as the stand-in's mode says."""

            def do_POST(self) -> None:  # pylint: disable=invalid-name
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"null")
                headers = {k.lower(): v for k, v in self.headers.items()}
                api.received.append(Received(self.path, headers, body))
                status, answer = api.answer(body)
                self._send(status, answer)

            def do_GET(self) -> None:  # pylint: disable=invalid-name
                self._send(200, {"status": "ok"})

            def _send(self, status: int, answer: Any) -> None:
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (the "slow" mode's timeout)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def predictions(self) -> list[Received]:
        """The ``/predict`` requests received so far."""
        return [r for r in self.received if r.path == "/predict"]
