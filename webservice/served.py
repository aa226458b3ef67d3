"""The model in service: its predictor and what is known about it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from webservice.predictors import OnnxPredictor, Predictor

METRIC_TAG_PREFIX = "holdout_"
# What registration records on a version about its ONNX model (model_selection.onnx_export)
ONNX_CHECK_TAG = "onnx_check"  # "passed: ...", "failed: ..." or "unavailable: ..."
ONNX_ERROR_TAG = "onnx_max_relative_error"  # repr(float), absent when unavailable
ONNX_ARTIFACT_TAG = "onnx_artifact"  # runs:/<run_id>/onnx/model.onnx, only when the check passed
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
