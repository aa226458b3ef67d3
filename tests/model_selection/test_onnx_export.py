"""The ONNX twin of each candidate family: converted, checked, predicting what the pipeline does.

Small data: the first 400 rows of the shipped CSV, fitted with the candidates' own pipeline and
fit; fresh rows (the next 200) are never seen by the fit or by the export's check.
"""

import subprocess
import sys
import textwrap

import numpy as np
import onnx
import pandas as pd
import pytest
from onnx import helper

from model_selection.candidates import CANDIDATES, Candidate
from model_selection.onnx_export import (
    CHECK_ROWS,
    INPUT_NAME,
    MAX_RELATIVE_ERROR,
    OnnxOutcome,
    check_rows,
    convert_pipeline,
    element_types,
    export_onnx,
    first_line,
    fold_base_values_into_first_tree,
    judge,
    onnx_predict,
    onnx_session,
    relative_error,
)
from paris_housing.datasets.spec import Kind
from tests.conftest import SHIPPED_CSV

FITTED_ROWS = 400
FRESH_ROWS = 200
ONE_ROW_AT_A_TIME = 25


@pytest.fixture(scope="module")
def shipped() -> pd.DataFrame:
    return pd.read_csv(SHIPPED_CSV, nrows=FITTED_ROWS + FRESH_ROWS)


@pytest.fixture(scope="module")
def fresh(shipped, spec) -> pd.DataFrame:
    return shipped.iloc[FITTED_ROWS:][spec.feature_names].reset_index(drop=True)


def fit(candidate: Candidate, shipped: pd.DataFrame, spec):
    rows = shipped.iloc[:FITTED_ROWS]
    pipeline = candidate.pipeline(spec.feature_names)
    return candidate.fit(pipeline, rows[spec.feature_names], rows[spec.target.name])


@pytest.fixture(scope="module")
def fitted(shipped, spec) -> dict:
    """Every candidate fitted on the small data."""
    return {name: fit(candidate, shipped, spec) for name, candidate in CANDIDATES.items()}


@pytest.fixture(scope="module")
def exported(fitted, spec) -> dict:
    """Every fitted candidate exported as registration exports it."""
    return {name: export_onnx(model, spec) for name, model in fitted.items()}


# float64 where the estimator adds in float64, float32 where it computes in float32
INPUT_TYPES = {
    "linear": "float64",
    "ridge": "float64",
    "random_forest": "float32",
    "xgboost": "float32",
    "lightgbm": "float64",
}


def tree_ensemble(model: onnx.ModelProto) -> dict:
    (node,) = [n for n in model.graph.node if n.op_type == "TreeEnsembleRegressor"]
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


@pytest.mark.parametrize("name", list(CANDIDATES))
def test_every_family_passes_the_check(exported, name):
    check = exported[name].check
    expected_type = INPUT_TYPES[name]
    assert check.outcome is OnnxOutcome.PASSED and check.passed
    assert check.element_type == expected_type
    assert 0 <= check.max_relative_error <= MAX_RELATIVE_ERROR
    assert check.sentence == (
        f"passed: max relative error {check.max_relative_error:.1e} on {CHECK_ROWS} rows "
        f"spanning the spec's ranges with {expected_type} input (limit 1e-05)"
    )


@pytest.mark.parametrize("name", list(CANDIDATES))
def test_the_twin_predicts_fresh_rows_as_the_pipeline_does(fitted, exported, fresh, name):
    session = onnx_session(exported[name].model)
    expected = fitted[name].predict(fresh)
    many = onnx_predict(session, fresh)
    assert many.shape == (FRESH_ROWS,)
    assert relative_error(many, expected) <= MAX_RELATIVE_ERROR
    one_by_one = [onnx_predict(session, fresh.iloc[[i]])[0] for i in range(ONE_ROW_AT_A_TIME)]
    assert relative_error(one_by_one, expected[:ONE_ROW_AT_A_TIME]) <= MAX_RELATIVE_ERROR
    # a model that predicted anything else would be far off: the check can fail
    assert relative_error(many * 1.001, expected) > MAX_RELATIVE_ERROR


@pytest.mark.parametrize("name", list(CANDIDATES))
def test_the_twin_has_one_input_in_the_spec_order_and_one_output(exported, spec, name):
    session = onnx_session(exported[name].model)
    (tensor,) = session.get_inputs()
    assert tensor.name == INPUT_NAME
    assert tensor.shape == [None, len(spec.feature_names)]
    assert (
        tensor.type == {"float64": "tensor(double)", "float32": "tensor(float)"}[INPUT_TYPES[name]]
    )
    (output,) = session.get_outputs()
    assert output.shape in ([None, 1], [None])


def test_linear_twin_weighs_each_feature_in_the_spec_order(fitted, exported, spec):
    session = onnx_session(exported["linear"].model)
    base = check_rows(spec, count=3).iloc[[2]]  # the defaults
    more_surface = base.assign(squareMeters=base["squareMeters"] + 1_000)
    rise = onnx_predict(session, more_surface)[0] - onnx_predict(session, base)[0]
    expected = fitted["linear"].predict(more_surface)[0] - fitted["linear"].predict(base)[0]
    assert rise == pytest.approx(expected, rel=1e-9)
    assert rise == pytest.approx(100_000, rel=0.01)  # 100 EUR a m², as the data is made


def test_xgboost_needs_its_base_score_added_first(fitted, shipped, spec, fresh):
    model = fitted["xgboost"]
    rows = pd.concat([check_rows(spec), fresh], ignore_index=True)
    expected = model.predict(rows)
    converted = convert_pipeline(model, spec.feature_names, "float32")
    folded = fold_base_values_into_first_tree(converted)

    as_converted = onnx_predict(onnx_session(converted.SerializeToString()), rows)
    assert relative_error(as_converted, expected) > MAX_RELATIVE_ERROR
    as_folded = onnx_predict(onnx_session(folded.SerializeToString()), rows)
    assert relative_error(as_folded, expected) == 0.0
    one_by_one = onnx_session(folded.SerializeToString())
    for i in range(ONE_ROW_AT_A_TIME):
        assert onnx_predict(one_by_one, rows.iloc[[i]])[0] == np.float32(expected[i])

    before, after = tree_ensemble(converted), tree_ensemble(folded)
    (base,) = before["base_values"]
    prices = shipped.iloc[:FITTED_ROWS][spec.target.name]
    assert base == pytest.approx(prices.mean(), rel=1e-6)  # XGBoost starts from the mean price
    assert after["base_values"] == [0.0]
    trees = len(set(before["nodes_treeids"]))
    assert sorted(set(after["nodes_treeids"])) == list(range(trees + 1))
    assert (after["nodes_treeids"][0], after["nodes_modes"][0]) == (0, b"LEAF")
    assert (after["target_treeids"][0], after["target_weights"][0]) == (0, base)
    assert after["target_treeids"][1:] == [t + 1 for t in before["target_treeids"]]


def test_lightgbm_adds_its_trees_in_float64_as_lightgbm_does(fitted, exported, spec, fresh):
    model = fitted["lightgbm"]
    rows = pd.concat([check_rows(spec), fresh], ignore_index=True)
    expected = model.predict(rows)
    in_float32 = convert_pipeline(model, spec.feature_names, "float32")
    float32_error = relative_error(
        onnx_predict(onnx_session(in_float32.SerializeToString()), rows), expected
    )
    in_float64 = onnx.load_from_string(exported["lightgbm"].model)
    float64_error = relative_error(
        onnx_predict(onnx_session(exported["lightgbm"].model), rows), expected
    )
    # only the float32 output's rounding is left (a relative 6e-8 at most)
    assert float64_error < 1e-7 < float32_error
    ensemble = tree_ensemble(in_float64)
    assert "target_weights" not in ensemble and "nodes_values" not in ensemble
    assert onnx.numpy_helper.to_array(ensemble["target_weights_as_tensor"]).dtype == np.float64
    assert [n.op_type for n in in_float64.graph.node][-1] == "Cast"


def test_ensembles_without_a_base_value_are_left_alone(fitted, spec):
    forest = convert_pipeline(fitted["random_forest"], spec.feature_names, "float32")
    assert fold_base_values_into_first_tree(forest) == forest


def test_a_histogram_boosting_pipeline_is_unavailable_with_the_reason(
    shipped, spec, hist_candidate
):
    export = export_onnx(fit(hist_candidate, shipped, spec), spec)
    assert export.check.outcome is OnnxOutcome.UNAVAILABLE and not export.check.passed
    assert export.model is None
    assert export.check.max_relative_error is None and export.check.element_type is None
    # skl2onnx 1.20 writes a numpy boolean where ONNX wants an int (scikit-learn 1.9's trees)
    assert export.check.sentence == (
        "unavailable: HistGradientBoostingRegressor: TypeError: Field onnx.AttributeProto.ints: "
        "Expected an int, got a boolean."
    )


def test_a_twin_that_predicts_differently_fails_with_its_smallest_error():
    export = judge(
        {"float64": (b"a", 3e-4), "float32": (b"b", 2.1e-4)}, {}, "12 rows", "LinearRegression"
    )
    assert export.check.outcome is OnnxOutcome.FAILED and export.model == b"b"
    assert export.check.sentence == (
        "failed: max relative error 2.1e-04 on 12 rows with float32 input is above the limit "
        "1e-05"
    )
    assert export.check.max_relative_error == 2.1e-4


def test_the_first_passing_type_is_kept():
    export = judge({"float64": (b"a", 1e-5), "float32": (b"b", 0.0)}, {}, "3 rows", "Ridge")
    assert export.check.passed and export.model == b"a"
    assert export.check.sentence == (
        "passed: max relative error 1.0e-05 on 3 rows with float64 input (limit 1e-05)"
    )


def test_unavailable_names_each_distinct_reason():
    same = judge({}, {"float64": "E: x", "float32": "E: x"}, "3 rows", "Model")
    assert same.check.sentence == "unavailable: Model: E: x"
    different = judge({}, {"float64": "E: x", "float32": "F: y"}, "3 rows", "Model")
    assert different.check.sentence == "unavailable: Model: float64: E: x; float32: F: y"


def test_reasons_are_the_innermost_cause_in_one_line():
    try:
        try:
            raise TypeError("Expected an int, got a boolean.\nmore")
        except TypeError:
            # as skl2onnx raises it: the cause is the context, not ``from``
            raise ValueError("Unable to create node " + "x" * 500)  # pylint: disable=W0707
    except ValueError as exc:
        assert first_line(exc) == "TypeError: Expected an int, got a boolean."
    assert len(first_line(RuntimeError("y" * 1000))) == len("RuntimeError: ") + 200


def test_check_rows_span_the_spec(spec):
    rows = check_rows(spec)
    assert len(rows) == CHECK_ROWS and list(rows.columns) == spec.feature_names
    assert rows.dtypes.astype(str).to_dict() == {c.name: c.dtype for c in spec.features}
    for column in spec.features:
        values = rows[column.name]
        assert values.iloc[0] == column.minimum and values.iloc[1] == column.maximum
        assert values.iloc[2] == column.default
        assert values.between(column.minimum, column.maximum).all()
        if column.kind is Kind.BINARY:
            assert set(values) == {0, 1}
        else:  # spread over the range, not bunched at one end
            span = column.maximum - column.minimum
            assert values.iloc[3:].std() > span / 5
    pd.testing.assert_frame_equal(rows, check_rows(spec))
    assert not rows.equals(check_rows(spec, seed=7))


def test_relative_error_compares_prices_under_one_euro_absolutely():
    assert relative_error([101.0, 5e6 + 50], [100.0, 5e6]) == pytest.approx(0.01)
    assert relative_error([0.3], [0.0]) == pytest.approx(0.3)
    assert relative_error([[2.0]], [2.0]) == 0.0


def test_exporting_leaves_the_fitted_pipeline_as_it_was(fitted, spec, fresh):
    model = fitted["ridge"]
    before = model.predict(fresh)
    export_onnx(model, spec)
    (_, _, columns), *_ = model.named_steps["preprocess"].transformers_
    assert list(columns) == spec.feature_names
    np.testing.assert_array_equal(model.predict(fresh), before)
    shuffled = fresh[list(reversed(spec.feature_names))]
    np.testing.assert_array_equal(model.predict(shuffled), before)


def test_element_types_follow_what_the_estimator_computes_in(fitted):
    expected = {"float64": ("float64", "float32"), "float32": ("float32",)}
    for name, model in fitted.items():
        assert element_types(model[-1]) == expected[INPUT_TYPES[name]], name
    with pytest.raises(ValueError, match="element_type 'int8' is not one of 'float64', 'float32'"):
        convert_pipeline(None, ["a"], "int8")


def test_converters_and_boosters_are_imported_only_when_needed():
    script = textwrap.dedent(f"""
        import sys
        import pandas as pd
        import model_selection.registration
        from model_selection.candidates import CANDIDATES
        from model_selection.onnx_export import export_onnx
        from paris_housing.datasets import KAGGLE

        heavy = ("skl2onnx", "onnxmltools", "onnxruntime", "xgboost", "lightgbm")
        assert not [m for m in heavy if m in sys.modules], "imported by model_selection"
        rows = pd.read_csv({str(SHIPPED_CSV)!r}, nrows=100)
        linear = CANDIDATES["linear"]
        model = linear.fit(
            linear.pipeline(KAGGLE.feature_names), rows[KAGGLE.feature_names], rows["price"]
        )
        assert export_onnx(model, KAGGLE).check.passed
        print(sorted(m for m in ("xgboost", "lightgbm", "skl2onnx") if m in sys.modules))
        """)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['skl2onnx']"  # a linear model's export needs no booster
