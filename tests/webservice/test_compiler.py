"""The compiled predictors give the fitted pipeline's own predictions, only faster."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.webservice import registry_fixtures as fixtures
from webservice.compiler import check_rows, compile_model
from webservice.predictors import LinearPredictor, PipelinePredictor, TreePredictor
from webservice.trees import _round_down_to_float32


def pipeline_prices(pipeline, spec, rows: np.ndarray) -> np.ndarray:
    return PipelinePredictor(pipeline, spec).predict(rows)


@pytest.fixture(scope="module")
def rows(spec, data) -> np.ndarray:
    """Held-out homes plus rows spanning every range (corners included)."""
    return np.vstack([data.x_holdout.to_numpy(np.float64)[:300], check_rows(spec, 200, seed=9)])


def assert_same(predictor, pipeline, spec, rows, exact: bool) -> None:
    expected = pipeline_prices(pipeline, spec, rows)
    single = np.array([predictor.predict_one(tuple(r)) for r in rows])
    batch = predictor.predict(rows)
    if exact:
        np.testing.assert_array_equal(single, expected)
        np.testing.assert_array_equal(batch, expected)
    else:
        np.testing.assert_allclose(single, expected, rtol=1e-9)
        np.testing.assert_allclose(batch, expected, rtol=1e-9)


def test_a_scaled_linear_model_folds_into_one_dot_product(spec, linear, rows):
    compiled = compile_model(linear, spec)
    predictor = compiled.predictor
    assert isinstance(predictor, LinearPredictor) and predictor.kind == "linear"
    assert compiled.max_relative_error < 1e-12
    assert_same(predictor, linear, spec, rows, exact=False)
    scaler, model = linear[0], linear[-1]
    n = len(spec.features)
    weights = predictor.predict(np.eye(n)) - predictor.predict(np.zeros((1, n)))
    np.testing.assert_allclose(weights, model.coef_ / scaler.scale_, rtol=1e-6)


def test_a_ridge_model_folds_too(spec, ridge, rows):
    compiled = compile_model(ridge, spec)
    assert compiled.predictor.kind == "linear"
    assert_same(compiled.predictor, ridge, spec, rows, exact=False)


def test_xgboost_trees_give_xgboost_s_exact_predictions(spec, data, rows):
    pipeline = fixtures.xgboost_pipeline(data, n_estimators=60, max_depth=5)
    compiled = compile_model(pipeline, spec)
    assert compiled.predictor.kind == "xgboost-trees"
    assert compiled.max_relative_error == 0.0
    assert_same(compiled.predictor, pipeline, spec, rows, exact=True)


def test_xgboost_with_early_stopping_uses_only_the_best_trees(spec, data, rows):
    from sklearn.pipeline import Pipeline
    from xgboost import XGBRegressor

    model = XGBRegressor(n_estimators=400, learning_rate=0.3, early_stopping_rounds=5, n_jobs=1)
    model.fit(
        data.x_train, data.y_train, eval_set=[(data.x_holdout, data.y_holdout)], verbose=False
    )
    assert model.best_iteration < 399  # it did stop early, so the last trees must be ignored
    pipeline = Pipeline([("model", model)])
    compiled = compile_model(pipeline, spec)
    assert compiled.predictor.kind == "xgboost-trees"
    assert_same(compiled.predictor, pipeline, spec, rows, exact=True)


def test_a_random_forest_behind_a_scaler_is_walked_exactly(spec, data, rows):
    pipeline = fixtures.forest_pipeline(data, n_estimators=8, max_depth=10)
    compiled = compile_model(pipeline, spec)
    predictor = compiled.predictor
    assert isinstance(predictor, TreePredictor) and predictor.kind == "sklearn-trees"
    assert vars(predictor)["pre"] is not None  # the scaler, folded into an affine map
    expected = pipeline_prices(pipeline, spec, rows)
    single = np.array([compiled.predictor.predict_one(tuple(r)) for r in rows])
    np.testing.assert_allclose(single, expected, rtol=1e-12)


def test_gradient_boosting_is_walked_exactly(spec, data, rows):
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.pipeline import Pipeline

    model = GradientBoostingRegressor(n_estimators=20, max_depth=3, random_state=0)
    pipeline = Pipeline([("model", model)]).fit(data.x_train, data.y_train)
    compiled = compile_model(pipeline, spec)
    assert compiled.predictor.kind == "sklearn-trees"
    expected = pipeline_prices(pipeline, spec, rows)
    single = np.array([compiled.predictor.predict_one(tuple(r)) for r in rows])
    np.testing.assert_allclose(single, expected, rtol=1e-12)


def test_a_model_no_fast_path_reproduces_is_served_by_the_pipeline_itself(spec, data, rows):
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    pipeline = Pipeline(
        [("log", FunctionTransformer(np.log1p)), ("model", LinearRegression())]
    ).fit(data.x_train, data.y_train)
    compiled = compile_model(pipeline, spec)
    assert compiled.predictor.kind == "pipeline"
    assert any("linear: differs" in note for note in compiled.notes)
    assert_same(compiled.predictor, pipeline, spec, rows[:50], exact=False)


def test_the_check_rows_span_every_range(spec):
    rows = check_rows(spec, 100)
    low = np.array([c.minimum for c in spec.features])
    high = np.array([c.maximum for c in spec.features])
    np.testing.assert_array_equal(rows[0], low)
    np.testing.assert_array_equal(rows[1], high)
    assert np.all(rows >= low) and np.all(rows <= high)
    assert np.all(rows == np.round(rows))  # every feature of this spec is a whole number


@settings(max_examples=300, deadline=None)
@given(
    threshold=st.floats(
        allow_nan=False, allow_infinity=False, width=64, min_value=-1e30, max_value=1e30
    ),
    value=st.floats(allow_nan=False, allow_infinity=False, width=32),
)
def test_rounding_thresholds_down_to_float32_keeps_every_decision(threshold, value):
    rounded = _round_down_to_float32(np.array([threshold]))[0]
    assert rounded.dtype == np.float32
    assert (np.float64(np.float32(value)) <= threshold) == (np.float32(value) <= rounded)
