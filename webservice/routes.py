"""The routes. ``/predict`` and ``/predict/batch`` take their body as FastAPI parses it (a
pydantic model derived from the spec as the parameter, so FastAPI also documents it and refuses
other content types); ``/invocations`` reads its own, in MLflow's four JSON formats or CSV.

FastAPI's parsing meets the speed targets, so the hand parsing (pydantic-core's
``validate_json`` on the raw body) went. Measured on loopback with the ONNX linear champion, 2
uvicorn workers per server, wrk -t2 -c16, 10 interleaved rounds of 4-5 s on the 2 shared cores
(other jobs running: medians of per-round figures), the ceiling parsing as /predict does:

==================================  ==============  =================
                                    FastAPI's own   by hand (before)
==================================  ==============  =================
/predict requests/s                 5,580           6,520
ceiling requests/s                  10,370          12,410
/predict / ceiling (target >= 0.6)  0.63            0.54
/predict p99 / ceiling p99 (<= 3)   1.28            1.62
server CPU per request, in process  92 us           80 us
ceiling CPU per request             57 us           42 us
==================================  ==============  =================

Both are far above 20x ``mlflow models serve`` (about 165 requests/s here, so 3,300).

FastAPI lets the last of two equal keys win; ``/predict`` and ``/predict/batch`` refuse them
(:class:`~webservice.http.UniqueKeysRoute`, which hands FastAPI the body it parsed), at no
measurable cost per request (measured beside it).
"""

# No ``from __future__ import annotations``: FastAPI reads the body parameters' annotations,
# which are the models made from the spec when the routes are added.

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from paris_housing import contract
from webservice import schemas
from webservice.errors import ApiError, invalid_values
from webservice.http import (
    JSON,
    UniqueKeysRoute,
    install_refusals,
    json_response,
    media_type,
    parse_json,
    request_id,
    unsupported_media,
)
from webservice.openapi import invocations_body
from webservice.rows import FORMATS, from_csv, from_mlflow_json
from webservice.service import Service

Endpoint = Callable[..., Any]
ERRORS = {
    400: {"model": contract.ErrorBody, "description": "Not JSON."},
    413: {"model": contract.ErrorBody, "description": "Body or batch too large."},
    415: {"model": contract.ErrorBody, "description": "Not JSON (another content type)."},
    422: {"model": contract.ErrorBody, "description": "A field is wrong: which, why, allowed."},
    503: {"model": contract.ErrorBody, "description": "No model in service, and why."},
}


def add_refusals(app: FastAPI, service: Service, endpoints: frozenset[str]) -> None:
    """Refusals raised outside the routes' own handling, answered as the routes answer them."""

    def refuse(error: ApiError, request: Request) -> Response:
        path = request.scope["path"]
        code = "BAD_REQUEST" if path == "/invocations" and error.status < 500 else None
        endpoint = path if path in endpoints else "other"
        return service.refuse(error, request_id(request), endpoint, code)

    install_refusals(app, refuse, service.spec, service.settings.api_batch_max_rows)


def _post_unique_keys(app: FastAPI, path: str, **options: Any) -> Callable[[Endpoint], Endpoint]:
    """``@app.post(path, **options)`` with a JSON body whose repeated keys are refused."""

    def register(endpoint: Endpoint) -> Endpoint:
        app.router.add_api_route(
            path, endpoint, methods=["POST"], route_class_override=UniqueKeysRoute, **options
        )
        return endpoint

    return register


def add_predict(app: FastAPI, service: Service) -> None:
    """``POST /predict``: one home. The hot path: every attribute it needs is bound here."""
    manager, prediction_log = service.manager, service.prediction_log
    currency, observe_price = service.currency, service.metrics.observe_price
    home_model = service.home_model

    @_post_unique_keys(
        app,
        "/predict",
        response_model=contract.Prediction,
        responses=ERRORS,
        summary="Estimate the price of one home",
    )
    async def predict(home: home_model, request: Request) -> Response:  # type: ignore[valid-type]
        rid = request_id(request)
        model = manager.model
        values = tuple(home.__dict__.values())
        try:
            if model is None:
                raise service.no_model()
            price = model.predictor.predict_one(values)
            if not math.isfinite(price):
                raise service.bad_output(model)
        except ApiError as error:
            return service.refuse(error, rid, "/predict")
        observe_price(price)
        if prediction_log is not None:
            prediction_log.submit(rid, "/predict", model.version, values, price)
        return Response(
            orjson.dumps(
                {
                    "request_id": rid,
                    "price": price,
                    "currency": currency,
                    "model_name": model.name,
                    "model_version": model.version,
                }
            ),
            media_type=JSON,
        )


def add_batch(app: FastAPI, service: Service) -> None:
    """``POST /predict/batch``: a list of homes, up to the configured limit."""
    max_rows = service.settings.api_batch_max_rows
    homes_type = service.homes_type

    @_post_unique_keys(
        app,
        "/predict/batch",
        response_model=contract.BatchPrediction,
        responses=ERRORS,
        summary=f"Estimate the prices of up to {max_rows} homes",
        description=f"A JSON array of 1 to {max_rows} homes (setting "
        "`PARIS_HOUSING_API_BATCH_MAX_ROWS`); prices come back in the same order.",
    )
    async def predict_batch(homes: homes_type, request: Request) -> Response:  # type: ignore
        rid = request_id(request)
        try:
            rows = np.array([list(h.__dict__.values()) for h in homes], dtype=np.float64)
            model, prices = service.predict_rows(rows, "/predict/batch", rid)
        except ApiError as error:
            return service.refuse(error, rid, "/predict/batch")
        return json_response(
            {
                "request_id": rid,
                "prices": prices,
                "currency": service.currency,
                "model_name": model.name,
                "model_version": model.version,
            }
        )


def add_invocations(app: FastAPI, service: Service) -> None:
    """``POST /invocations``: MLflow's scoring protocol, so its clients work unchanged."""
    spec, manager = service.spec, service.manager
    max_rows = service.settings.api_batch_max_rows

    @app.post(
        "/invocations",
        response_model=schemas.InvocationsResponse,
        responses={
            400: {
                "model": contract.ErrorBody,
                "description": "Bad input (error_code BAD_REQUEST).",
            },
            413: ERRORS[413],
            415: {"model": contract.ErrorBody, "description": "Neither JSON nor CSV."},
            503: ERRORS[503],
        },
        summary="MLflow's scoring protocol, as `mlflow models serve` speaks it",
        description="JSON with one of " + ", ".join(f"`{f}`" for f in FORMATS) + ", or CSV "
        f"(`text/csv`, a header line then rows). At most {max_rows} rows.",
        openapi_extra=invocations_body(),
    )
    async def invocations(request: Request) -> Response:
        rid = request_id(request)
        try:
            if manager.model is None:
                raise service.no_model()
            media = media_type(request)
            if media not in ("text/csv", JSON, ""):
                raise unsupported_media(media, (JSON, "text/csv"))
            content = await request.body()
            if media == "text/csv":
                rows = from_csv(content, spec, max_rows)
            else:
                rows, _ = from_mlflow_json(parse_json(content), spec, max_rows)
            violations = service.checker.problems(rows)
            if violations:
                raise invalid_values(violations)
            _, prices = service.predict_rows(rows, "/invocations", rid)
        except ApiError as error:
            code = "BAD_REQUEST" if error.status < 500 else None
            return service.refuse(error, rid, "/invocations", code)
        return json_response({"predictions": prices})


def add_status(app: FastAPI, service: Service) -> None:
    """``/health``, ``/ready``, ``/model``, ``/metrics`` and ``/`` (to the docs)."""
    manager, spec = service.manager, service.spec
    probe = spec.example_row()

    @app.get("/", include_in_schema=False)
    async def root() -> Response:
        return RedirectResponse("/docs")

    @app.get("/health", response_model=schemas.Health, summary="The process is alive")
    async def health() -> Response:
        return json_response({"status": "ok"})

    @app.get(
        "/ready",
        response_model=schemas.Readiness,
        responses={503: {"model": schemas.Readiness, "description": "Not ready, and why."}},
        summary="A model is loaded and answers",
    )
    async def ready() -> Response:
        model = manager.model
        answer = {"model_name": spec.registered_model_name, "model_version": None}
        if model is None:
            return json_response({"ready": False, "reason": manager.reason, **answer}, 503)
        answer["model_version"] = model.version
        try:
            price = model.predictor.predict_one(probe)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            reason = f"the model fails on a valid home: {type(exc).__name__}: {exc}"
            return json_response({"ready": False, "reason": reason, **answer}, 503)
        if not math.isfinite(price):
            reason = "the model answers a non-finite price for a valid home"
            return json_response({"ready": False, "reason": reason, **answer}, 503)
        return json_response({"ready": True, "reason": None, **answer})

    @app.get(
        "/model",
        response_model=schemas.ModelDescription,
        responses={503: {"model": contract.ErrorBody, "description": "No model in service."}},
        summary="The model in service: version, alias, metrics, dataset version",
    )
    async def model_description(request: Request) -> Response:
        model = manager.model
        if model is None:
            return service.refuse(service.no_model(), request_id(request), "/model")
        checked = manager.last_checked_at
        return json_response(
            {
                **model.description(),
                "last_checked_at": checked.isoformat() if checked else None,
                "registry_error": manager.registry_error,
            }
        )

    @app.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        if service.prediction_log is not None:
            service.metrics.log_pending.set(service.prediction_log.pending)
        content, exposition_type = service.metrics.exposition()
        return Response(content, media_type=exposition_type)
