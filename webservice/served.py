"""The model in service: its predictor, what is known about it, and the one scoring path.

:meth:`ServedModel.score` turns validated rows into prices for every batch: the service's
``/predict/batch`` and ``/invocations``, the batch-scoring flow and the benchmark all call it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from paris_housing.registry import (
    METRIC_TAG_PREFIX,
    ONNX_ARTIFACT_TAG,
    ONNX_CHECK_TAG,
    ONNX_ERROR_TAG,
)
from webservice.predictors import OnnxPredictor, Predictor


class ModelOutputError(RuntimeError):
    """The model answered NaN or infinity for rows that the spec allows: the model is faulty."""


NO_ONNX_MODEL = "the version has no ONNX model (it was registered before the ONNX export)"


@dataclass(frozen=True)
class OnnxRecord:
    """What registration recorded about a version's ONNX model."""

    artifact: str | None = None
    check: str | None = None
    max_relative_error: float | None = None

    @classmethod
    def from_tags(cls, tags: Mapping[str, str]) -> OnnxRecord:
        """The record in a version's tags (an unreadable error is read as unknown)."""
        try:
            error: float | None = float(tags[ONNX_ERROR_TAG])
        except (KeyError, ValueError):
            error = None
        return cls(tags.get(ONNX_ARTIFACT_TAG) or None, tags.get(ONNX_CHECK_TAG), error)

    @property
    def missing_reason(self) -> str | None:
        """Why the version has no ONNX model to serve (None when it has one)."""
        if self.artifact:
            return None
        if self.check:
            return f"the ONNX check did not pass: {self.check}"
        return NO_ONNX_MODEL


@dataclass(frozen=True)
class ServedModel:  # pylint: disable=too-many-instance-attributes
    """One registered model version, loaded and ready to answer."""

    name: str
    version: str
    alias: str
    predictor: Predictor
    registry_uri: str
    loaded_at: datetime
    load_seconds: float
    onnx: OnnxRecord = OnnxRecord()
    fallback_reason: str | None = None  # why the pipeline serves rather than the ONNX model
    run_id: str | None = None
    source: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def score(self, rows: np.ndarray) -> np.ndarray:
        """The prices of ``rows``, float64 rows in the spec's feature order that the spec's rules
        already accepted (:mod:`paris_housing.datasets.arrays`); :class:`ModelOutputError`
        when the model answers a non-finite price for any of them."""
        prices = self.predictor.predict(rows)
        finite = np.isfinite(prices)
        if not finite.all():
            first = int(np.flatnonzero(~finite)[0])
            raise ModelOutputError(
                f"model {self.name} version {self.version} returned {int((~finite).sum())} "
                f"non-finite price(s) for valid rows (first: row {first}): the model is faulty"
            )
        return prices

    @property
    def metrics(self) -> dict[str, float]:
        """The holdout metrics model selection recorded as tags (``holdout_rmse`` -> ``rmse``)."""
        metrics = {}
        for key, value in self.tags.items():
            if key.startswith(METRIC_TAG_PREFIX):
                try:
                    number = float(value)
                except ValueError:
                    continue
                if math.isfinite(number):
                    metrics[key.removeprefix(METRIC_TAG_PREFIX)] = number
        return metrics

    def description(self) -> dict[str, Any]:
        """What ``GET /model`` shows (see :class:`webservice.schemas.ModelDescription`)."""
        serves_onnx = self.predictor.kind == OnnxPredictor.kind
        return {
            "name": self.name,
            "version": self.version,
            "alias": self.alias,
            "run_id": self.run_id,
            "source": self.source,
            "dataset": self.tags.get("dataset"),
            "dataset_version": self.tags.get("dataset_version"),
            "metrics": self.metrics,
            "tags": dict(self.tags),
            "predictor": self.predictor.kind,
            "predictor_max_relative_error": self.onnx.max_relative_error if serves_onnx else None,
            "predictor_fallback_reason": self.fallback_reason,
            "onnx_check": self.onnx.check,
            "loaded_at": self.loaded_at.isoformat(),
            "load_seconds": round(self.load_seconds, 3),
            "registry_uri": self.registry_uri,
        }
