"""Fit and score the candidates on the time-respecting split (pure: frames in, results out)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from model_selection.candidates import ESTIMATOR, SEED, get_candidates
from model_selection.data import Fold, TrainingData
from paris_housing.metrics import Metrics, regression_metrics


@dataclass(frozen=True)
class FoldScore:
    """A candidate's score on one cross-validation fold."""

    fold: Fold
    metrics: Metrics
    fit_seconds: float


@dataclass
class CandidateResult:
    """A candidate fitted on the training periods, with its CV and holdout scores (picklable)."""

    name: str
    family: str
    description: str
    folds: list[FoldScore]
    holdout: Metrics
    fit_seconds: float  # the fit on every training period
    predict_seconds: float  # predicting the holdout period
    model: Pipeline = field(repr=False)

    @property
    def cv_rmse(self) -> float:
        """Mean RMSE over the folds: what selection ranks by."""
        return statistics.fmean(f.metrics.rmse for f in self.folds)

    @property
    def cv_rmse_std(self) -> float:
        """Spread of the folds' RMSE (0 with one fold)."""
        rmses = [f.metrics.rmse for f in self.folds]
        return statistics.pstdev(rmses) if len(rmses) > 1 else 0.0


def fit_and_score(
    name: str, data: TrainingData, train: pd.DataFrame, scored: pd.DataFrame, seed: int = SEED
) -> tuple[Pipeline, Metrics, float, float]:
    """Fit candidate ``name`` on ``train``; return it, its metrics on ``scored`` and both times."""
    (candidate,) = get_candidates([name])
    model = candidate.pipeline(data.spec.feature_names, seed)
    start = time.perf_counter()
    candidate.fit(model, data.features(train), data.target(train))
    fitted = time.perf_counter()
    predicted = model.predict(data.features(scored))
    done = time.perf_counter()
    return model, regression_metrics(data.target(scored), predicted), fitted - start, done - fitted


def evaluate_fold(name: str, data: TrainingData, fold: Fold, seed: int = SEED) -> FoldScore:
    """Candidate ``name`` trained on the fold's periods, scored on its validation period."""
    _, metrics, fit_seconds, _ = fit_and_score(
        name, data, data.rows(fold.train_periods), data.periods[fold.validation_period], seed
    )
    return FoldScore(fold, metrics, fit_seconds)


def evaluate_candidate(
    name: str, data: TrainingData, seed: int = SEED, folds: Sequence[FoldScore] | None = None
) -> CandidateResult:
    """Cross-validate ``name`` (unless ``folds`` are given), then fit it on every training
    period and score it on the holdout period."""
    (candidate,) = get_candidates([name])
    if folds is None:
        folds = [evaluate_fold(name, data, fold, seed) for fold in data.folds]
    model, holdout, fit_seconds, predict_seconds = fit_and_score(
        name, data, data.train, data.holdout, seed
    )
    return CandidateResult(
        name=name,
        family=candidate.family,
        description=candidate.description,
        folds=list(folds),
        holdout=holdout,
        fit_seconds=fit_seconds,
        predict_seconds=predict_seconds,
        model=model,
    )


def evaluate_candidates(
    names: Sequence[str] | None,
    data: TrainingData,
    seed: int = SEED,
    step: Callable[[str], None] = lambda _: None,
) -> list[CandidateResult]:
    """Every candidate (default: all) evaluated in turn; ``step`` hears which one starts."""
    results = []
    for candidate in get_candidates(names):
        step(f"cross-validating and fitting {candidate.name}")
        results.append(evaluate_candidate(candidate.name, data, seed))
    return results


def select_best(results: Sequence[CandidateResult]) -> CandidateResult:
    """The candidate with the lowest cross-validated RMSE (the first one on a tie).

    The holdout period is kept for judging the chosen model (gate, champion comparison), not
    for choosing it.
    """
    if not results:
        raise ValueError("no candidate was evaluated")
    return min(results, key=lambda r: r.cv_rmse)


def feature_importances(model: Pipeline, features: Sequence[str]) -> pd.DataFrame:
    """How much each feature weighs in a fitted pipeline, largest first.

    Linear models: the coefficient on the standardised feature (the price change for one
    standard deviation), and its absolute value as the importance. Trees: the estimator's
    impurity-based ``feature_importances_``. ``share`` is the importance over their sum.
    """
    estimator = model.named_steps[ESTIMATOR]
    frame = pd.DataFrame({"feature": list(features)})
    if hasattr(estimator, "coef_"):
        coefficients = np.ravel(estimator.coef_)
        frame["coefficient"] = coefficients
        frame["importance"] = np.abs(coefficients)
    else:
        frame["importance"] = np.asarray(estimator.feature_importances_, dtype=float)
    total = frame["importance"].sum()
    frame["share"] = frame["importance"] / total if total else 0.0
    return frame.sort_values("importance", ascending=False, ignore_index=True)
