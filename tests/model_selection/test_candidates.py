"""Candidates: one pipeline each, columns chosen by name, fixed seeds, pinned requirements."""

from importlib.metadata import version

import numpy as np
import pytest

from model_selection.candidates import CANDIDATES, get_candidates
from model_selection.data import TrainingData
from model_selection.evaluation import (
    CandidateResult,
    evaluate_candidate,
    feature_importances,
    select_best,
)


@pytest.fixture(scope="module")
def small(data) -> TrainingData:
    """300 rows of each period: enough to fit every candidate in a second."""
    return TrainingData(
        data.dataset,
        data.version,
        data.source,
        tuple(p.head(300) for p in data.periods),
        data.period_years,
    )


@pytest.fixture(scope="module")
def evaluated(small) -> dict[str, CandidateResult]:
    """Every candidate evaluated once on the small data."""
    return {name: evaluate_candidate(name, small) for name in CANDIDATES}


def test_the_issues_ask_for_these_five_candidates():
    assert {c.name: c.family for c in get_candidates()} == {
        "linear": "linear",
        "ridge": "linear",
        "random_forest": "tree",
        "xgboost": "tree",
        "lightgbm": "tree",
    }


def test_unknown_candidates_are_named_with_the_known_ones():
    with pytest.raises(
        KeyError, match="unknown candidate\\(s\\) 'lasso'; known candidates: linear"
    ):
        get_candidates(["linear", "lasso"])
    with pytest.raises(KeyError, match="no candidate"):
        get_candidates([])
    assert [c.name for c in get_candidates(["ridge", "linear", "ridge"])] == ["ridge", "linear"]


@pytest.mark.parametrize("name", list(CANDIDATES))
def test_same_data_same_seed_same_metrics(small, evaluated, name):
    first, second = evaluated[name], evaluate_candidate(name, small)
    assert first.holdout == second.holdout
    assert [f.metrics for f in first.folds] == [f.metrics for f in second.folds]
    assert len(first.folds) == 2 and first.fit_seconds > 0 and first.predict_seconds > 0


@pytest.mark.parametrize("name", list(CANDIDATES))
def test_pipeline_selects_the_spec_columns_by_name(small, evaluated, spec, name):
    model = evaluated[name].model
    rows = small.features(small.holdout)
    shuffled = rows[list(reversed(spec.feature_names))].assign(extra=1.0)
    np.testing.assert_array_equal(model.predict(rows), model.predict(shuffled))
    with pytest.raises(ValueError, match="squareMeters"):
        model.predict(rows.drop(columns="squareMeters"))


def test_requirements_are_pinned_to_the_installed_versions():
    linear = CANDIDATES["linear"].pip_requirements()
    assert f"scikit-learn=={version('scikit-learn')}" in linear
    assert f"cloudpickle=={version('cloudpickle')}" in linear
    assert not any(r.startswith("xgboost") for r in linear)
    assert f"xgboost-cpu=={version('xgboost-cpu')}" in CANDIDATES["xgboost"].pip_requirements()
    lightgbm = CANDIDATES["lightgbm"].pip_requirements()
    assert f"lightgbm=={version('lightgbm')}" in lightgbm
    assert not any(r.startswith("xgboost") for r in lightgbm)


def test_linear_importances_are_coefficients_on_standardised_features(evaluated, spec):
    model = evaluated["linear"].model
    importances = feature_importances(model, spec.feature_names)
    assert importances.loc[0, "feature"] == "squareMeters"
    assert importances["share"].sum() == pytest.approx(1.0)
    scale = model.named_steps["preprocess"].named_transformers_["features"].scale_
    square_metres = spec.feature_names.index("squareMeters")
    assert importances.loc[0, "coefficient"] == pytest.approx(100.0 * scale[square_metres], 1e-3)


@pytest.mark.parametrize("name", ["random_forest", "xgboost"])
def test_tree_importances_sum_to_one(evaluated, spec, name):
    importances = feature_importances(evaluated[name].model, spec.feature_names)
    assert importances.loc[0, "feature"] == "squareMeters"
    assert importances["importance"].sum() == pytest.approx(1.0)


def test_lightgbm_importances_are_gains_led_by_surface(evaluated, spec):
    importances = feature_importances(evaluated["lightgbm"].model, spec.feature_names)
    assert importances.loc[0, "feature"] == "squareMeters"
    assert importances.loc[0, "share"] > 0.99  # the price is 100 EUR a m² plus small terms
    assert importances["share"].sum() == pytest.approx(1.0)
    # total gains (squared EUR removed), not LightGBM's default count of splits
    assert importances["importance"].sum() > 1e12


def test_selection_takes_the_lowest_cv_rmse_not_the_holdout(evaluated):
    results = list(evaluated.values())
    best = select_best(results)
    assert best.name == "linear"
    assert best.cv_rmse == min(r.cv_rmse for r in results)
    with pytest.raises(ValueError, match="no candidate"):
        select_best([])
