"""The routes. Each prediction route parses its own body (pydantic-core validates the JSON in one
pass), so the OpenAPI document declares the bodies itself (see :mod:`webservice.openapi`)."""

from __future__ import annotations

import math

import numpy as np
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from webservice import schemas
from webservice.errors import ApiError
from webservice.http import JSON, json_response, not_json, read_body, refusal, request_id
from webservice.openapi import HOME_REF, body, invocations_body
from webservice.rows import FORMATS, bad_request, from_csv, from_mlflow_json
from webservice.service import Service

ERRORS = {
    400: {"model": schemas.ErrorBody, "description": "Not JSON."},
    413: {"model": schemas.ErrorBody, "description": "Body or batch too large."},
    422: {"model": schemas.ErrorBody, "description": "A field is wrong: which, why, allowed."},
    503: {"model": schemas.ErrorBody, "description": "No model in service, and why."},
}


def add_predict(app: FastAPI, service: Service) -> None:
    """``POST /predict``: one home. The hot path: every attribute it needs is bound here."""
    spec, manager, prediction_log = service.spec, service.manager, service.prediction_log
    limit, max_rows = service.settings.api_max_body_bytes, service.settings.api_batch_max_rows
    validate_home, currency = service.validate_home, service.currency
    observe_price = service.metrics.observe_price

    @app.post(
        "/predict",
        response_model=schemas.Prediction,
        responses=ERRORS,
        summary="Estimate the price of one home",
        openapi_extra=body(HOME_REF),
    )
    async def predict(request: Request) -> Response:
        rid = request_id(request)
        model = manager.model
        try:
            if model is None:
                raise service.no_model()
            content = await read_body(request, limit)
            try:
                home = validate_home(content)
            except ValidationError as exc:
                raise refusal(exc, spec, max_rows) from None
            values = tuple(home.__dict__.values())
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
    spec, manager = service.spec, service.manager
    limit, max_rows = service.settings.api_max_body_bytes, service.settings.api_batch_max_rows

    @app.post(
        "/predict/batch",
        response_model=schemas.BatchPrediction,
        responses=ERRORS,
        summary=f"Estimate the prices of up to {max_rows} homes",
        description=f"A JSON array of 1 to {max_rows} homes (setting "
        "`PARIS_HOUSING_API_BATCH_MAX_ROWS`); prices come back in the same order.",
        openapi_extra=body(
            {"type": "array", "items": HOME_REF, "minItems": 1, "maxItems": max_rows}
        ),
    )
    async def predict_batch(request: Request) -> Response:
        rid = request_id(request)
        try:
            if manager.model is None:
                raise service.no_model()
            content = await read_body(request, limit)
            try:
                homes = service.validate_batch(content)
            except ValidationError as exc:
                raise refusal(exc, spec, max_rows) from None
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
    limit, max_rows = service.settings.api_max_body_bytes, service.settings.api_batch_max_rows

    @app.post(
        "/invocations",
        response_model=schemas.InvocationsResponse,
        responses={
            400: {"model": schemas.ErrorBody, "description": "Bad input (error_code BAD_REQUEST)."},
            413: ERRORS[413],
            415: {"model": schemas.ErrorBody, "description": "Neither JSON nor CSV."},
            503: ERRORS[503],
        },
        summary="MLflow's scoring protocol, as served by `mlflow models serve`",
        description="JSON with one of " + ", ".join(f"`{f}`" for f in FORMATS) + ", or CSV "
        f"(`text/csv`, a header line then rows). At most {max_rows} rows.",
        openapi_extra=invocations_body(),
    )
    async def invocations(request: Request) -> Response:
        rid = request_id(request)
        try:
            if manager.model is None:
                raise service.no_model()
            media = request.headers.get("content-type", JSON).split(";")[0].strip().lower()
            content = await read_body(request, limit)
            if media == "text/csv":
                rows = from_csv(content, spec, max_rows)
            elif media in (JSON, ""):
                try:
                    payload = orjson.loads(content)
                except orjson.JSONDecodeError as exc:
                    raise not_json(exc) from None
                rows, _ = from_mlflow_json(payload, spec, max_rows)
            else:
                raise ApiError(
                    415,
                    "unsupported_media_type",
                    f"content type {media!r} is not supported: use {JSON} or text/csv",
                )
            problems = service.checker.problems(rows)
            if problems:
                raise bad_request(problems)
            _, prices = service.predict_rows(rows, "/invocations", rid)
        except ApiError as error:
            code = "BAD_REQUEST" if error.status < 500 else None
            return service.refuse(error, rid, "/invocations", code)
        return json_response({"predictions": prices})


def add_status(app: FastAPI, service: Service) -> None:
    """``/health``, ``/ready``, ``/model``, ``/metrics`` and ``/`` (to the docs)."""
    manager, spec = service.manager, service.spec
    probe = [c.default if c.default is not None else c.minimum for c in spec.features]

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
        responses={503: {"model": schemas.ErrorBody, "description": "No model in service."}},
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
        content, media_type = service.metrics.exposition()
        return Response(content, media_type=media_type)
