"""Predictors: what the service calls to turn validated rows into prices.

A predictor takes rows whose values are in the dataset spec's feature order and returns prices.
``predict_one`` serves one home per request and must cost microseconds, so it never builds a
DataFrame; ``predict`` serves many rows at once through the model's own vectorised code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import mul
from typing import Any

import numpy as np

from paris_housing.datasets import DatasetSpec
from webservice.trees import Forest


class Predictor(ABC):
    """Rows (values in the spec's feature order) in, prices out."""

    kind: str = "predictor"

    @abstractmethod
    def predict_one(self, row: Sequence[float]) -> float:
        """The price of one row."""

    @abstractmethod
    def predict(self, rows: np.ndarray) -> np.ndarray:
        """The prices of rows given as a float64 array of shape (n, n_features)."""


@dataclass(frozen=True)
class Affine:
    """``x -> matrix @ x + offset``: scalers and any other affine preprocessing, folded."""

    matrix: np.ndarray  # (n_outputs, n_inputs)
    offset: np.ndarray  # (n_outputs,)

    def apply(self, rows: np.ndarray) -> np.ndarray:
        """Transform one row (1-D) or many (2-D)."""
        return rows @ self.matrix.T + self.offset


class LinearPredictor(Predictor):
    """``price = weights . x + intercept``: a linear model with its scaling folded in."""

    kind = "linear"

    def __init__(self, weights: np.ndarray, intercept: float) -> None:
        self.weights = np.asarray(weights, dtype=np.float64)
        self.intercept = float(intercept)
        self._weights = [float(w) for w in self.weights]

    def predict_one(self, row: Sequence[float]) -> float:
        # 16 multiplications in plain Python beat numpy's per-call overhead for one row
        return self.intercept + sum(map(mul, self._weights, row))

    def predict(self, rows: np.ndarray) -> np.ndarray:
        return rows @ self.weights + self.intercept


class TreePredictor(Predictor):
    """A tree ensemble: flattened trees for one row, the library's own code for many."""

    def __init__(
        self,
        forest: Forest,
        batch: Callable[[np.ndarray], Any],
        pre: Affine | None = None,
        kind: str = "trees",
    ) -> None:
        self.forest = forest
        self.pre = pre
        self.kind = kind
        self._batch = batch
        self._walk = forest.walker()

    def predict_one(self, row: Sequence[float]) -> float:
        if self.pre is None:
            return self._walk(np.array(row, dtype=np.float32))
        return self._walk(self.pre.apply(np.array(row, dtype=np.float64)).astype(np.float32))

    def predict(self, rows: np.ndarray) -> np.ndarray:
        if self.pre is not None:
            rows = self.pre.apply(rows)
        return np.asarray(self._batch(rows), dtype=np.float64).ravel()


class PipelinePredictor(Predictor):
    """The fitted pipeline itself, fed a DataFrame: correct for any model, slow for one row."""

    kind = "pipeline"

    def __init__(self, model: Any, spec: DatasetSpec) -> None:
        self.model = model
        self.columns = spec.feature_names
        self.dtypes = {c.name: c.dtype for c in spec.features}

    def frame(self, rows: np.ndarray) -> Any:
        """The rows as the DataFrame the pipeline was fitted on."""
        import pandas as pd

        return pd.DataFrame(rows, columns=self.columns).astype(self.dtypes)

    def predict_one(self, row: Sequence[float]) -> float:
        return float(self.predict(np.asarray([row], dtype=np.float64))[0])

    def predict(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict(self.frame(rows)), dtype=np.float64).ravel()
