"""What the routes share, built once per process: the model manager, metrics, prediction log."""

from __future__ import annotations

import gc

import numpy as np
from fastapi.responses import Response

from paris_housing import contract
from paris_housing.datasets import DatasetSpec
from paris_housing.datasets.arrays import RowChecker
from paris_housing.settings import Settings
from webservice.errors import ApiError
from webservice.http import json_response
from webservice.lifecycle import ModelManager
from webservice.metrics import ServiceMetrics
from webservice.prediction_log import PredictionLog
from webservice.served import ModelOutputError, ServedModel


class Service:  # pylint: disable=too-many-instance-attributes
    """Everything a request needs."""

    def __init__(
        self,
        settings: Settings,
        spec: DatasetSpec,
        manager: ModelManager,
        metrics: ServiceMetrics,
        prediction_log: PredictionLog | None,
    ) -> None:
        self.settings = settings
        self.spec = spec
        self.manager = manager
        self.metrics = metrics
        self.prediction_log = prediction_log
        self.home_model = contract.home_model(spec)
        self.homes_type = contract.homes_type(self.home_model, settings.api_batch_max_rows)
        self.checker = RowChecker(spec)
        self.currency = spec.target.unit or "EUR"

    def refuse(
        self, error: ApiError, request_id: str, endpoint: str, error_code: str | None = None
    ) -> Response:
        """The JSON refusal, counted by cause."""
        self.metrics.errors.labels(endpoint, error.cause).inc()
        return json_response(error.body(request_id, error_code), error.status)

    def no_model(self) -> ApiError:
        """503 while no model is in service, with the reason."""
        return ApiError(503, "no_model", self.manager.reason or "no model is loaded yet")

    @staticmethod
    def bad_output(model: ServedModel) -> ApiError:
        """500 when a model answers NaN or infinity for a valid input (a faulty model)."""
        return ApiError(
            500,
            "model_output",
            f"model {model.name} version {model.version} returned a non-finite price; "
            "the input was valid: the model is faulty",
        )

    def predict_rows(
        self, rows: np.ndarray, endpoint: str, request_id: str
    ) -> tuple[ServedModel, list[float]]:
        """Prices of validated rows, observed and logged; raises ApiError without a model."""
        model = self.manager.model
        if model is None:
            raise self.no_model()
        try:
            prices = model.score(rows)
        except ModelOutputError:
            raise self.bad_output(model) from None
        price_list = prices.tolist()
        for price in price_list:
            self.metrics.observe_price(price)
        if self.prediction_log is not None:
            self.prediction_log.submit_many(
                request_id, endpoint, model.version, rows.tolist(), price_list
            )
        return model, price_list


class MetricEvents:
    """The model manager's and the prediction log's events, as metrics."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        self.metrics = metrics

    def swapped(self, old: ServedModel | None, new: ServedModel) -> None:
        """A new model serves: its info series set, the old one's cleared."""
        info = self.metrics.model_info
        if old is not None:
            info.labels(old.name, old.version, old.alias, old.predictor.kind).set(0)
        info.labels(new.name, new.version, new.alias, new.predictor.kind).set(1)
        self.metrics.model_ready.set(1)
        self.metrics.model_swaps.inc()
        # The libraries and the model live as long as the process: keep the garbage collector
        # from scanning them again and again (a full collection of ~500k objects every few
        # thousand requests costs a tenth of the throughput).
        gc.freeze()

    def load_failed(self) -> None:
        """A version failed to load."""
        self.metrics.model_load_failures.inc()

    def registry_failed(self) -> None:
        """The registry could not be checked."""
        self.metrics.registry_errors.inc()

    def pending(self, count: int) -> None:
        """Predictions waiting for the log."""
        self.metrics.log_pending.set(count)

    def written(self, count: int) -> None:
        """Predictions written to the log."""
        self.metrics.log_written.inc(count)

    def dropped(self, count: int) -> None:
        """Predictions dropped from the log."""
        self.metrics.log_dropped.inc(count)

    def write_failed(self) -> None:
        """A write of the log failed."""
        self.metrics.log_write_failures.inc()


def build_service(
    settings: Settings,
    spec: DatasetSpec,
    manager: ModelManager | None = None,
    prediction_log: PredictionLog | None = None,
    metrics: ServiceMetrics | None = None,
) -> Service:
    """The service for ``settings``: the registry's alias watched, the log to its store."""
    metrics = metrics or ServiceMetrics(spec.target.maximum)
    events = MetricEvents(metrics)
    if manager is None:
        from webservice.model_source import RegistrySource

        manager = ModelManager(
            RegistrySource(settings, spec),
            settings.model_poll_seconds,
            settings.model_retry_seconds,
            events,
        )
    if prediction_log is None and settings.prediction_log_enabled:
        from webservice.sinks import open_sink

        prediction_log = PredictionLog(
            open_sink(settings, spec),
            settings.prediction_log_batch_rows,
            settings.prediction_log_flush_seconds,
            settings.prediction_log_max_pending,
            events,
        )
    return Service(settings, spec, manager, metrics, prediction_log)
