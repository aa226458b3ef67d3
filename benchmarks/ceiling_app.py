"""The ceiling of ``/predict``'s throughput: the same server, body and parsing, no model.

Its route takes the home as ``/predict`` does, as a parameter of the pydantic model derived from
the spec (FastAPI reads the body and validates it, each value checked by the spec's rules), then
answers a constant: whatever the service does beyond this (predicting, metrics, request ids, the
body limit, the prediction log) is what the benchmark's ratio prices.
"""

# No ``from __future__ import annotations``: FastAPI reads the parameter's annotation.

from fastapi import FastAPI
from fastapi.responses import Response

from paris_housing.contract import home_model
from paris_housing.datasets import get_spec
from paris_housing.settings import get_settings

CONSTANT = b'{"price":1.0}'


def create_app() -> FastAPI:
    """A FastAPI app with one route, ``POST /predict``, that parses and validates a home."""
    home_type = home_model(get_spec(get_settings().dataset))
    app = FastAPI(telemetry={"tracing": False, "metrics": False, "logs": False})

    @app.post("/predict")
    async def predict(home: home_type) -> Response:  # type: ignore[valid-type]
        del home
        return Response(CONSTANT, media_type="application/json")

    @app.get("/health")
    async def health() -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    return app
