"""The candidate models: each one sklearn Pipeline (preprocessing + estimator) built from the spec.

A pipeline takes a DataFrame with the spec's feature columns (selected by name, so column order
and extra columns do not matter) and returns the price. Seeds are fixed: the same data gives the
same model.

XGBoost and LightGBM are imported when their estimator is made: importing this module (and every
command that lists the candidates) does not pay for them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version

import pandas as pd
from sklearn.base import RegressorMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

SEED = 42
PREPROCESS = "preprocess"
ESTIMATOR = "estimator"
# distributions every candidate needs to be loaded (models are saved with cloudpickle)
BASE_PACKAGES = ("scikit-learn", "cloudpickle", "numpy", "pandas")


@dataclass(frozen=True)
class Candidate:
    """A kind of model to try, and what loading it needs."""

    name: str
    family: str  # "linear" or "tree"
    description: str
    scale: bool  # standardise the features first (linear models: comparable coefficients)
    estimator: Callable[[int], RegressorMixin]  # seed -> unfitted estimator
    packages: tuple[str, ...] = ()  # distributions beyond BASE_PACKAGES
    # Fit on every core but predict on one: a forest predicting in parallel adds its trees up in
    # whatever order the threads finish, so the last bits of an estimate would vary between runs.
    serial_predict: bool = False

    def pipeline(self, features: Sequence[str], seed: int = SEED) -> Pipeline:
        """An unfitted pipeline on ``features``."""
        columns = ColumnTransformer(
            [("features", StandardScaler() if self.scale else "passthrough", list(features))],
            remainder="drop",
            verbose_feature_names_out=False,
        )
        return Pipeline([(PREPROCESS, columns), (ESTIMATOR, self.estimator(seed))])

    def fit(self, pipeline: Pipeline, features: pd.DataFrame, target: pd.Series) -> Pipeline:
        """Fit ``pipeline`` (made by :meth:`pipeline`) and make its predictions reproducible."""
        pipeline.fit(features, target)
        if self.serial_predict:
            pipeline.set_params(**{f"{ESTIMATOR}__n_jobs": 1})
        return pipeline

    def pip_requirements(self) -> list[str]:
        """Pinned requirements to load and serve the model (the versions installed here)."""
        return [f"{name}=={version(name)}" for name in (*BASE_PACKAGES, *self.packages)]


def xgboost_regressor(seed: int) -> RegressorMixin:
    """XGBoost with 300 rounds of depth-6 trees at learning rate 0.1, on one thread.

    One thread: on a busy machine XGBoost's OpenMP threads wait on each other (2 threads on 2
    shared cores measured 6x slower than 1), and 7,500 rows need no more.
    """
    from xgboost import XGBRegressor

    return XGBRegressor(
        n_estimators=300, max_depth=6, learning_rate=0.1, random_state=seed, n_jobs=1
    )


def lightgbm_regressor(seed: int) -> RegressorMixin:
    """LightGBM with 300 rounds of 31-leaf trees at learning rate 0.1, on one thread, silent.

    One thread and ``deterministic``: the same data gives the same model, bit for bit. Feature
    importances are each feature's total gain (the loss it removed, as a forest's impurity
    importances are), not LightGBM's default count of splits. 300 rounds at learning rate 0.1,
    as XGBoost's: the two boosters are compared like for like.
    """
    from lightgbm import LGBMRegressor

    return LGBMRegressor(
        n_estimators=300,
        num_leaves=31,
        learning_rate=0.1,
        random_state=seed,
        n_jobs=1,
        deterministic=True,
        importance_type="gain",
        verbose=-1,
    )


CANDIDATES: dict[str, Candidate] = {
    c.name: c
    for c in (
        Candidate(
            "linear",
            "linear",
            "ordinary least squares",
            scale=True,
            estimator=lambda seed: LinearRegression(),
        ),
        Candidate(
            "ridge",
            "linear",
            "least squares with an L2 penalty (alpha 1 on standardised features)",
            scale=True,
            estimator=lambda seed: Ridge(alpha=1.0, random_state=seed),
        ),
        Candidate(
            "random_forest",
            "tree",
            "random forest of 100 trees, at least 3 rows a leaf",
            scale=False,
            estimator=lambda seed: RandomForestRegressor(
                n_estimators=100, min_samples_leaf=3, random_state=seed, n_jobs=-1
            ),
            serial_predict=True,
        ),
        Candidate(
            "xgboost",
            "tree",
            "gradient-boosted trees (XGBoost: 300 rounds, depth 6, learning rate 0.1)",
            scale=False,
            estimator=xgboost_regressor,
            packages=("xgboost-cpu",),
        ),
        Candidate(
            "lightgbm",
            "tree",
            "gradient-boosted trees (LightGBM: 300 rounds, 31 leaves, learning rate 0.1)",
            scale=False,
            estimator=lightgbm_regressor,
            packages=("lightgbm",),
        ),
    )
}


def get_candidates(names: Sequence[str] | None = None) -> list[Candidate]:
    """The candidates called ``names`` (default: all), or a clear error naming the known ones."""
    if names is None:
        return list(CANDIDATES.values())
    unknown = [n for n in names if n not in CANDIDATES]
    if unknown or not names:
        what = (
            f"unknown candidate(s) {', '.join(map(repr, unknown))}" if unknown else "no candidate"
        )
        raise KeyError(f"{what}; known candidates: {', '.join(CANDIDATES)}")
    return [CANDIDATES[n] for n in dict.fromkeys(names)]
