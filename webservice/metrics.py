"""The service's Prometheus metrics, correct with one worker process or several.

With several workers (``PROMETHEUS_MULTIPROC_DIR`` set before the workers start, which
``paris-housing serve`` does), each process writes its values to files in that folder and
``/metrics`` adds them up across processes, so any worker answers for all of them.

Per-request observations (request count, latency, predicted price) are first added up in plain
Python counters of the event loop's thread (well under a microsecond) and pushed into the
Prometheus metrics by :meth:`ServiceMetrics.flush`, every second and before each scrape: with
several workers every Prometheus update is a write to a memory-mapped file, and five of them per
request cost a tenth of ``/predict``'s throughput.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

disable_created_metrics()  # the *_created series double the exposition for nothing here

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
PREFIX = "paris_housing"
LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.002,
    0.004,
    0.008,
    0.016,
    0.032,
    0.064,
    0.128,
    0.256,
    0.512,
    1.0,
    2.5,
    5.0,
)


def price_buckets(maximum: float) -> tuple[float, ...]:
    """Buckets for predicted prices: 20 steps up to the target's maximum, then negative/tiny."""
    step = maximum / 20
    return (0.0, *(round(step * k, 2) for k in range(1, 21)))


class ServiceMetrics:  # pylint: disable=too-many-instance-attributes
    """Every metric of the service, registered on one registry."""

    def __init__(self, price_maximum: float, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.multiprocess = bool(os.environ.get(MULTIPROCESS_ENV))
        r = self.registry
        self.requests = Counter(
            f"{PREFIX}_http_requests",
            "HTTP requests answered, by endpoint, method and status code.",
            ["endpoint", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            f"{PREFIX}_http_request_duration_seconds",
            "Time from receiving a request to sending its response, by endpoint.",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.errors = Counter(
            f"{PREFIX}_http_errors",
            "Requests refused or failed, by endpoint and cause (validation, no_model ...).",
            ["endpoint", "cause"],
            registry=r,
        )
        self.price = Histogram(
            f"{PREFIX}_predicted_price_eur",
            "Distribution of the predicted prices (its _count: the homes priced).",
            buckets=price_buckets(price_maximum),
            registry=r,
        )
        self.model_info = Gauge(
            f"{PREFIX}_model_info",
            "1 for the model version each worker serves (name, version, alias, predictor).",
            ["name", "version", "alias", "predictor"],
            multiprocess_mode="livemax",
            registry=r,
        )
        self.model_ready = Gauge(
            f"{PREFIX}_model_ready",
            "1 when every worker has a model loaded, else 0.",
            multiprocess_mode="livemin",
            registry=r,
        )
        self.model_swaps = Counter(
            f"{PREFIX}_model_swaps",
            "Models loaded and put in service (the first one included).",
            registry=r,
        )
        self.model_load_failures = Counter(
            f"{PREFIX}_model_load_failures",
            "Model versions that could not be loaded (the previous one kept serving).",
            registry=r,
        )
        self.registry_errors = Counter(
            f"{PREFIX}_model_registry_errors",
            "Checks of the registry alias that failed (registry unreachable ...).",
            registry=r,
        )
        self.log_pending = Gauge(
            f"{PREFIX}_prediction_log_pending",
            "Predictions waiting to be written to the prediction log.",
            multiprocess_mode="livesum",
            registry=r,
        )
        self.log_written = Counter(
            f"{PREFIX}_prediction_log_written",
            "Predictions written to the prediction log.",
            registry=r,
        )
        self.log_dropped = Counter(
            f"{PREFIX}_prediction_log_dropped",
            "Predictions not logged because too many were pending.",
            registry=r,
        )
        self.log_write_failures = Counter(
            f"{PREFIX}_prediction_log_write_failures",
            "Failed writes of the prediction log (retried later).",
            registry=r,
        )
        self.model_ready.set(0)
        self._requests: dict[tuple[str, str, int], int] = {}
        self._latency: dict[str, PendingHistogram] = {}
        self._price = PendingHistogram(self.price)

    def observe_request(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request and its latency (event loop thread only)."""
        key = (endpoint, method, status)
        self._requests[key] = self._requests.get(key, 0) + 1
        pending = self._latency.get(endpoint)
        if pending is None:
            pending = self._latency[endpoint] = PendingHistogram(self.latency.labels(endpoint))
        pending.observe(seconds)

    def observe_price(self, price: float) -> None:
        """Record one predicted price (event loop thread only)."""
        self._price.observe(price)

    def flush(self) -> None:
        """Push the pending observations into the Prometheus metrics (event loop thread only)."""
        requests, self._requests = self._requests, {}
        for (endpoint, method, status), count in requests.items():
            self.requests.labels(endpoint, method, str(status)).inc(count)
        for pending in self._latency.values():
            pending.flush()
        self._price.flush()

    def exposition(self) -> tuple[bytes, str]:
        """The metrics in Prometheus' text format, summed over workers when there are several."""
        self.flush()
        if self.multiprocess:
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class PendingHistogram:
    """Observations of one histogram (or labelled child) not yet pushed to it.

    :meth:`flush` adds the counts to the histogram's own per-bucket values and its sum, exactly
    what as many ``observe`` calls would have added, in one write per bucket touched.
    """

    def __init__(self, histogram: Any) -> None:
        self.histogram = histogram
        self.bounds: list[float] = list(histogram._upper_bounds)  # pylint: disable=W0212
        self.counts = [0] * len(self.bounds)
        self.total = 0.0

    def observe(self, value: float) -> None:
        """Add one observation (the bucket is the first bound >= value, like Prometheus')."""
        self.counts[bisect_left(self.bounds, value)] += 1
        self.total += value

    def flush(self) -> None:
        """Push the pending observations into the histogram."""
        counts, self.counts = self.counts, [0] * len(self.bounds)
        total, self.total = self.total, 0.0
        if not any(counts):
            return
        # prometheus_client has no bulk observe: add to the values its observe() adds to
        self.histogram._sum.inc(total)  # pylint: disable=protected-access
        for bucket, count in zip(self.histogram._buckets, counts):  # pylint: disable=W0212
            if count:
                bucket.inc(count)
