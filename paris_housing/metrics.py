"""Regression metrics of an estimate against the truth: the one home of RMSE, MAE, R² and MAPE,
for model selection, batch scoring and monitoring alike."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import (
    mean_absolute_error,
    mean_absolute_percentage_error,
    r2_score,
    root_mean_squared_error,
)


@dataclass(frozen=True)
class Metrics:
    """RMSE and MAE in the target's unit, R², and MAPE as a fraction (0.01 is 1 %)."""

    rmse: float
    mae: float
    r2: float
    mape: float

    def as_dict(self, prefix: str = "") -> dict[str, float]:
        """``{prefix + name: value}`` for every metric."""
        return {f"{prefix}{name}": value for name, value in asdict(self).items()}


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> Metrics:
    """The metrics of ``y_pred`` against ``y_true``."""
    return Metrics(
        rmse=float(root_mean_squared_error(y_true, y_pred)),
        mae=float(mean_absolute_error(y_true, y_pred)),
        r2=float(r2_score(y_true, y_pred)),
        mape=float(mean_absolute_percentage_error(y_true, y_pred)),
    )
