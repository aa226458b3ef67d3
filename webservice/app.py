"""The prediction service: a FastAPI app over the model manager, metrics and prediction log.

Run it with ``paris-housing serve`` (or ``uvicorn --factory webservice.app:create_app``).
The path of ``POST /predict``: FastAPI reads the body (at most ``api_max_body_bytes``) and
validates it with the model derived from the dataset spec, each value checked by the spec's
rules; the predictor prices the values; the prediction is queued for the log; orjson writes the
response. No DataFrame, no mlflow.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from paris_housing.datasets import DatasetSpec, get_spec
from paris_housing.settings import Settings, get_settings
from webservice import routes
from webservice.http import BodyLimit
from webservice.lifecycle import ModelManager
from webservice.metrics import ServiceMetrics
from webservice.middleware import RequestContext
from webservice.prediction_log import PredictionLog
from webservice.service import Service, build_service

METRICS_FLUSH_SECONDS = 1.0
ENDPOINTS = frozenset(
    {
        "/",
        "/predict",
        "/predict/batch",
        "/invocations",
        "/health",
        "/ready",
        "/model",
        "/metrics",
        "/docs",
        "/redoc",
        "/openapi.json",
    }
)


def create_app(
    settings: Settings | None = None,
    spec: DatasetSpec | None = None,
    manager: ModelManager | None = None,
    prediction_log: PredictionLog | None = None,
    metrics: ServiceMetrics | None = None,
) -> FastAPI:
    """The service for ``settings`` (default: the environment). Parts can be given for tests."""
    settings = settings or get_settings()
    spec = spec or get_spec(settings.dataset)
    service = build_service(settings, spec, manager, prediction_log, metrics)
    app = FastAPI(
        title="paris-housing prediction service",
        version="1",
        description=(
            f"Estimates the price of a home ({spec.title}) with the registry's "
            f"`{settings.model_alias}` version of the model `{spec.registered_model_name}`. "
            "Every response carries a request id: the `X-Request-ID` header the client sent "
            "(letters, digits and `._:/+=@-`, up to 128), else a new one."
        ),
        lifespan=_lifespan(service),
        # Prometheus is the service's telemetry; FastAPI's OpenTelemetry hooks cost a tenth of
        # /predict's throughput even with no provider configured.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.service = service
    app.add_middleware(BodyLimit, limit=settings.api_max_body_bytes)
    app.add_middleware(  # the outer one: refusals of the body limit have their request id
        RequestContext,
        metrics=service.metrics,
        endpoints=ENDPOINTS,
        access=settings.api_access_log,
    )
    routes.add_refusals(app, service, ENDPOINTS)
    routes.add_predict(app, service)
    routes.add_batch(app, service)
    routes.add_invocations(app, service)
    routes.add_status(app, service)
    return app


def _lifespan(service: Service) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start: watch the alias (waiting for the first check, bounded), start the log writer and
    the metrics flush. Stop: stop watching, flush the metrics and write the pending log."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        service.manager.start()
        await asyncio.to_thread(
            service.manager.wait_first_check, service.settings.model_startup_wait_seconds
        )
        if service.prediction_log is not None:
            service.prediction_log.start()
        flusher = asyncio.create_task(_flush_metrics(service.metrics))
        try:
            yield
        finally:
            flusher.cancel()
            service.metrics.flush()
            service.manager.stop()
            if service.prediction_log is not None:
                await asyncio.to_thread(service.prediction_log.stop)

    return lifespan


async def _flush_metrics(metrics: ServiceMetrics) -> None:
    """Push the per-request observations into the Prometheus metrics every second."""
    while True:
        await asyncio.sleep(METRICS_FLUSH_SECONDS)
        metrics.flush()
