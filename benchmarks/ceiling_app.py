"""The ceiling of ``/predict``'s throughput: the same server, body and parsing, no model.

It reads the body and validates it with the same pydantic model derived from the spec, exactly
as the service's ``/predict`` does, then answers a constant: whatever the service does beyond
this (predicting, metrics, request ids, the prediction log) is what the benchmark's ratio
prices.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

from paris_housing.datasets import get_spec
from paris_housing.settings import get_settings
from webservice.schemas import home_model

CONSTANT = b'{"price":1.0}'


def create_app() -> FastAPI:
    """A FastAPI app with one route, ``POST /predict``, that parses and validates a home."""
    validate = home_model(get_spec(get_settings().dataset)).__pydantic_validator__.validate_json
    app = FastAPI(telemetry={"tracing": False, "metrics": False, "logs": False})

    @app.post("/predict")
    async def predict(request: Request) -> Response:
        validate(await request.body())
        return Response(CONSTANT, media_type="application/json")

    @app.get("/health")
    async def health() -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    return app
