"""The model in service: its predictor and what is known about it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from webservice.predictors import Predictor

METRIC_TAG_PREFIX = "holdout_"


@dataclass(frozen=True)
class ServedModel:
    """One registered model version, compiled and ready to answer."""

    name: str
    version: str
    alias: str
    predictor: Predictor
    max_relative_error: float
    registry_uri: str
    loaded_at: datetime
    load_seconds: float
    run_id: str | None = None
    source: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

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
            "predictor_max_relative_error": self.max_relative_error,
            "loaded_at": self.loaded_at.isoformat(),
            "load_seconds": round(self.load_seconds, 3),
            "registry_uri": self.registry_uri,
        }
