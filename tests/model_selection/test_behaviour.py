"""Behavioural checks find a model that lowers the price when a home gets more."""

import numpy as np
import pandas as pd
import pytest

from model_selection.behaviour import never_lower_violations, raised


def linear_price(frame: pd.DataFrame, pool_effect: float = 3_000.0) -> np.ndarray:
    return (
        100.0 * frame["squareMeters"] + pool_effect * frame["hasPool"] + 3_000.0 * frame["hasYard"]
    ).to_numpy()


def test_a_monotone_model_has_no_violation(data, spec):
    rows = data.features(data.holdout)
    assert not never_lower_violations(
        linear_price, rows, spec, ("squareMeters", "hasPool", "hasYard")
    )


def test_a_pool_that_lowers_the_price_is_reported_with_numbers(data, spec):
    rows = data.features(data.holdout).head(100)
    problems = never_lower_violations(
        lambda f: linear_price(f, pool_effect=-250.0), rows, spec, ("squareMeters", "hasPool")
    )
    assert problems == ["hasPool 0 -> 1 lowered the estimate of 100 of 100 rows (by up to 250)"]


def test_a_surface_effect_that_turns_down_is_reported(data, spec):
    rows = data.features(data.holdout).head(200)

    def capped(frame: pd.DataFrame) -> np.ndarray:
        surface = frame["squareMeters"].to_numpy(dtype=float)
        return np.where(surface > 90_000, 1e7 - surface, 100.0 * surface)

    problems = never_lower_violations(capped, rows, spec, ("squareMeters",))
    assert len(problems) == 2 and all(p.startswith("squareMeters +") for p in problems)


def test_raising_a_number_stays_within_its_allowed_range(data, spec):
    rows = data.features(data.holdout)
    for _, more in raised(rows, spec, "squareMeters"):
        assert (more["squareMeters"] >= rows["squareMeters"]).all()
        assert more["squareMeters"].max() <= 100_000
        assert more["squareMeters"].dtype == rows["squareMeters"].dtype


def test_an_unknown_feature_is_a_clear_error(data, spec):
    with pytest.raises(ValueError, match="unknown feature\\(s\\) surface of dataset 'kaggle'"):
        never_lower_violations(linear_price, data.holdout, spec, ("surface",))
