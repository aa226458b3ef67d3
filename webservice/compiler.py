"""Compile a fitted scikit-learn pipeline into the fastest predictor that gives its predictions.

Tried in order, each checked against the pipeline itself on rows spanning the spec's ranges
(corners, defaults and random rows), the first that agrees wins:

1. **linear**: the whole pipeline is an affine function of its inputs (scalers, any linear
   model, column transformers made of those). Its weights are measured by probing the pipeline
   (one row at the range minimums, then one step along each feature), so no class is special-cased.
2. **trees**: an XGBoost or scikit-learn tree ensemble behind affine preprocessing: the trees are
   flattened into arrays (see :mod:`webservice.trees`).
3. **pipeline**: anything else runs through the pipeline on a DataFrame, correct but slower.

"Agrees" means every price within a millionth (relative) of the pipeline's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from paris_housing.datasets import DatasetSpec, Kind
from webservice.predictors import (
    Affine,
    LinearPredictor,
    PipelinePredictor,
    Predictor,
    TreePredictor,
)
from webservice.trees import Forest, from_sklearn, from_xgboost

log = logging.getLogger(__name__)

RELATIVE_TOLERANCE = 1e-6
CHECK_ROWS = 512
SINGLE_ROW_CHECKS = 64


@dataclass(frozen=True)
class Compiled:
    """The predictor chosen for a model, how far it is from the pipeline, and (when it is the
    pipeline itself) why no faster predictor reproduced it."""

    predictor: Predictor
    max_relative_error: float
    notes: tuple[str, ...] = ()


def check_rows(spec: DatasetSpec, n: int = CHECK_ROWS, seed: int = 0) -> np.ndarray:
    """Rows that span every feature's range: all minimums, all maximums, defaults, then random."""
    rng = np.random.default_rng(seed)
    low = np.array([c.minimum for c in spec.features], dtype=np.float64)
    high = np.array([c.maximum for c in spec.features], dtype=np.float64)
    defaults = np.array(
        [c.default if c.default is not None else c.minimum for c in spec.features], np.float64
    )
    random = rng.uniform(low, high, size=(max(n - 3, 1), len(low)))
    whole = np.array([c.kind is not Kind.NUMBER for c in spec.features])
    random[:, whole] = np.round(random[:, whole])
    return np.vstack([low, high, defaults, random])


def compile_model(model: Any, spec: DatasetSpec) -> Compiled:
    """The fastest predictor that reproduces ``model``'s predictions on the spec's ranges."""
    reference = PipelinePredictor(model, spec)
    rows = check_rows(spec)
    expected = reference.predict(rows)
    notes: list[str] = []
    for name, build in (("linear", _linear), ("trees", _trees)):
        try:
            predictor = build(model, reference, spec)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            notes.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        if predictor is None:
            continue
        error = _max_relative_error(predictor, rows, expected)
        if error <= RELATIVE_TOLERANCE:
            return Compiled(predictor, error)
        notes.append(f"{name}: differs from the pipeline by up to {error:.2e} (relative)")
    log.warning("serving the pipeline as is (slower): %s", "; ".join(notes) or "no fast path")
    return Compiled(reference, 0.0, tuple(notes))


def _max_relative_error(predictor: Predictor, rows: np.ndarray, expected: np.ndarray) -> float:
    batch = predictor.predict(rows)
    single = np.array([predictor.predict_one(list(r)) for r in rows[:SINGLE_ROW_CHECKS]])
    scale = np.maximum(np.abs(expected), 1.0)
    errors = np.concatenate(
        [
            np.abs(batch - expected) / scale,
            np.abs(single - expected[:SINGLE_ROW_CHECKS]) / scale[:SINGLE_ROW_CHECKS],
        ]
    )
    return float(errors.max()) if np.all(np.isfinite(errors)) else float("inf")


def _probe(
    function: Callable[[np.ndarray], np.ndarray], spec: DatasetSpec
) -> tuple[np.ndarray, np.ndarray]:
    """``(matrix, offset)`` of ``function`` assuming it is affine: f(x) = matrix @ x + offset.

    Evaluates f at the range minimums and one full range step along each feature (all in range).
    """
    low = np.array([c.minimum for c in spec.features], dtype=np.float64)
    step = np.array([max(c.maximum - c.minimum, 1.0) for c in spec.features], dtype=np.float64)
    points = np.vstack([low, low + np.diag(step)])
    values = np.asarray(function(points), dtype=np.float64)
    values = values.reshape(len(points), -1)
    matrix = ((values[1:] - values[0]) / step[:, None]).T
    offset = values[0] - matrix @ low
    return matrix, offset


def _linear(_model: Any, reference: PipelinePredictor, spec: DatasetSpec) -> Predictor:
    matrix, offset = _probe(reference.predict, spec)
    return LinearPredictor(matrix[0], float(offset[0]))


def _split(model: Any) -> tuple[Any | None, Any]:
    """(preprocessing pipeline or None, final estimator)."""
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline):
        return (model[:-1] if len(model.steps) > 1 else None), model.steps[-1][1]
    return None, model


def _trees(model: Any, reference: PipelinePredictor, spec: DatasetSpec) -> Predictor | None:
    pre_steps, final = _split(model)
    forest, batch, kind = _forest(final)
    if forest is None:
        return None
    pre = None
    if pre_steps is not None:
        matrix, offset = _probe(lambda rows: pre_steps.transform(reference.frame(rows)), spec)
        pre = Affine(matrix, offset)
        rows = check_rows(spec, seed=1)
        actual = np.asarray(pre_steps.transform(reference.frame(rows)), dtype=np.float64)
        if not np.allclose(pre.apply(rows), actual, rtol=1e-12, atol=1e-12):
            return None  # the preprocessing is not affine: the pipeline serves
    return TreePredictor(forest, batch, pre, kind)


def _forest(final: Any) -> tuple[Forest | None, Callable[[np.ndarray], Any], str]:
    """The flattened trees of ``final``, its batch predict on arrays, and the predictor's kind."""
    module = type(final).__module__
    if module.startswith("xgboost"):
        booster = final.get_booster()
        best = getattr(final, "best_iteration", None)
        end = best + 1 if best is not None else 0

        def xgboost_batch(rows: np.ndarray) -> Any:
            return booster.inplace_predict(rows, iteration_range=(0, end), validate_features=False)

        return from_xgboost(booster, end), xgboost_batch, "xgboost-trees"
    if module.startswith("sklearn"):
        names = getattr(final, "feature_names_in_", None)

        def sklearn_batch(rows: np.ndarray) -> Any:
            if names is None:
                return final.predict(rows)
            import pandas as pd

            return final.predict(pd.DataFrame(rows, columns=names))

        return from_sklearn(final), sklearn_batch, "sklearn-trees"
    return None, np.asarray, "trees"
