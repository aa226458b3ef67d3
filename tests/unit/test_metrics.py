"""Regression metrics on numbers worked out by hand."""

import numpy as np
import pytest

from paris_housing.metrics import Metrics, regression_metrics


def test_metrics_of_a_known_estimate():
    metrics = regression_metrics(np.array([100.0, 200.0]), np.array([110.0, 190.0]))
    assert metrics.rmse == pytest.approx(10.0)
    assert metrics.mae == pytest.approx(10.0)
    assert metrics.mape == pytest.approx((0.10 + 0.05) / 2)
    assert metrics.r2 == pytest.approx(1 - 200 / 5000)


def test_a_perfect_estimate():
    y = np.array([1.0, 2.0, 3.0])
    assert regression_metrics(y, y) == Metrics(rmse=0.0, mae=0.0, r2=1.0, mape=0.0)


def test_as_dict_prefixes_every_name():
    assert Metrics(1.0, 2.0, 0.5, 0.1).as_dict("holdout_") == {
        "holdout_rmse": 1.0,
        "holdout_mae": 2.0,
        "holdout_r2": 0.5,
        "holdout_mape": 0.1,
    }
