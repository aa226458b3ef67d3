"""The service predicts with the version's ONNX model and gives the pipeline's prices; without a
usable ONNX model it serves the pipeline itself and says why."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from paris_housing.registry import ONNX_ARTIFACT_TAG, ONNX_CHECK_TAG, ONNX_ERROR_TAG
from tests.webservice import registry_fixtures as fixtures
from webservice.app import create_app
from webservice.model_source import RegistrySource
from webservice.predictors import OnnxPredictor, onnx_session
from webservice.served import NO_ONNX_MODEL, OnnxRecord

# the export's limit, which registration's check holds every served ONNX model to
LIMIT = 1e-5
N_FEATURES = 16


def linear_graph(weights, bias: float, element_type: str = "float64", flat: bool = False) -> bytes:
    """An ONNX model ``price = features @ weights + bias``: input ``[None, n]``, output
    ``[None, 1]`` (or ``[None]`` when ``flat``)."""
    from onnx import TensorProto, helper, numpy_helper

    dtype = np.dtype(element_type)
    tensor_type = {"float32": TensorProto.FLOAT, "float64": TensorProto.DOUBLE}[element_type]
    column = np.asarray(weights, dtype=dtype).reshape(-1, 1)
    initializers = [
        numpy_helper.from_array(column, "weights"),
        numpy_helper.from_array(np.asarray([bias], dtype=dtype), "bias"),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "flat"),
    ]
    nodes = [
        helper.make_node("MatMul", ["features", "weights"], ["product"]),
        helper.make_node("Add", ["product", "bias"], ["sum" if flat else "price"]),
    ]
    if flat:
        nodes.append(helper.make_node("Reshape", ["sum", "flat"], ["price"]))
    graph = helper.make_graph(
        nodes,
        "linear",
        [helper.make_tensor_value_info("features", tensor_type, [None, len(column)])],
        [helper.make_tensor_value_info("price", tensor_type, [None] if flat else [None, 1])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    return model.SerializeToString()


def relative_errors(predicted: np.ndarray, expected: np.ndarray) -> np.ndarray:
    return np.abs(predicted - expected) / np.maximum(np.abs(expected), 1.0)


@pytest.mark.parametrize("element_type", ["float64", "float32"])
@pytest.mark.parametrize("flat", [False, True])
def test_the_onnx_predictor_prices_one_row_and_a_batch(element_type, flat):
    weights = np.arange(1, N_FEATURES + 1, dtype=float)
    predictor = OnnxPredictor(
        onnx_session(linear_graph(weights, 1000.0, element_type, flat)), N_FEATURES
    )
    assert predictor.kind == "onnx" and predictor.dtype == np.dtype(element_type)
    rows = np.random.default_rng(3).integers(0, 100, size=(50, N_FEATURES)).astype(np.float64)
    expected = rows @ weights + 1000.0  # whole numbers below 2**24: exact in float32 too
    prices = predictor.predict(rows)
    assert prices.dtype == np.float64 and prices.shape == (50,)
    np.testing.assert_array_equal(prices, expected)
    single = [predictor.predict_one(tuple(row)) for row in rows]
    assert all(isinstance(price, float) for price in single)
    np.testing.assert_array_equal(single, expected)  # each row, not the one written before it


def test_an_onnx_model_of_another_shape_is_refused_with_what_is_expected():
    session = onnx_session(linear_graph(np.ones(3), 0.0))
    with pytest.raises(ValueError) as error:
        OnnxPredictor(session, N_FEATURES)
    assert "input 'features' has the shape [None, 3]" in str(error.value)
    assert f"[None, {N_FEATURES}] (the spec's features) is expected" in str(error.value)


@pytest.mark.parametrize(
    ("tags", "record", "reason"),
    [
        (
            {
                ONNX_CHECK_TAG: "passed: max relative error 1.3e-11 on 512 rows",
                ONNX_ERROR_TAG: "1.3e-11",
                ONNX_ARTIFACT_TAG: "runs:/abc/onnx/model.onnx",
            },
            OnnxRecord(
                "runs:/abc/onnx/model.onnx",
                "passed: max relative error 1.3e-11 on 512 rows",
                1.3e-11,
            ),
            None,
        ),
        (
            {ONNX_CHECK_TAG: "failed: max relative error 2.0e-04", ONNX_ERROR_TAG: "0.0002"},
            OnnxRecord(None, "failed: max relative error 2.0e-04", 2e-4),
            "the ONNX check did not pass: failed: max relative error 2.0e-04",
        ),
        (
            {ONNX_CHECK_TAG: "unavailable: FunctionTransformer: no converter"},
            OnnxRecord(None, "unavailable: FunctionTransformer: no converter", None),
            "the ONNX check did not pass: unavailable: FunctionTransformer: no converter",
        ),
        ({"candidate": "linear"}, OnnxRecord(), NO_ONNX_MODEL),
        ({ONNX_ERROR_TAG: "not a number"}, OnnxRecord(), NO_ONNX_MODEL),
    ],
)
def test_the_onnx_record_is_read_from_the_version_s_tags(tags, record, reason):
    assert OnnxRecord.from_tags(tags) == record
    assert OnnxRecord.from_tags(tags).missing_reason == reason


@pytest.mark.parametrize("candidate", ["linear", "xgboost", "lightgbm"])
def test_each_family_s_champion_is_served_by_onnx_with_the_pipeline_s_prices(
    champion_of, spec, candidate
):
    trained = champion_of(candidate)
    pipeline = trained.results[0].candidates[0].model
    tags = fixtures.Registry.of(trained, spec).tags("1")
    assert tags["candidate"] == candidate and tags[ONNX_CHECK_TAG].startswith("passed:")
    served = RegistrySource(trained.settings, spec).load("1")
    assert served.predictor.kind == "onnx" and served.fallback_reason is None
    described = served.description()
    assert described["predictor_max_relative_error"] == float(tags[ONNX_ERROR_TAG]) <= LIMIT
    assert described["onnx_check"] == tags[ONNX_CHECK_TAG]

    data = fixtures.training_split(trained)
    rows = pd.concat([data.x_holdout, data.x_train.head(500)], ignore_index=True)
    expected = np.asarray(pipeline.predict(rows), dtype=np.float64)
    batch = served.predictor.predict(rows.to_numpy(np.float64))
    assert relative_errors(batch, expected).max() <= LIMIT
    first = rows.iloc[0]
    one = served.predictor.predict_one(tuple(float(v) for v in first))
    assert relative_errors(np.array([one]), expected[:1]).max() <= LIMIT
    assert one == pytest.approx(batch[0], rel=1e-12)  # one row or many: the same session


def model_description(home) -> tuple[dict, float]:
    """``/model`` and the price of ``home``, from the app on the test's registry."""
    with TestClient(create_app()) as client:
        return client.get("/model").json(), client.post("/predict", json=home).json()["price"]


def test_the_onnx_model_serves_and_model_shows_its_check(registry, home, linear):
    tags = registry.tags("1")
    described, price = model_description(home)
    assert described["predictor"] == "onnx" and described["predictor_fallback_reason"] is None
    assert described["predictor_max_relative_error"] == float(tags[ONNX_ERROR_TAG])
    assert described["predictor_max_relative_error"] <= LIMIT
    assert described["onnx_check"] == tags[ONNX_CHECK_TAG]
    assert described["onnx_check"].startswith("passed: max relative error")
    assert price == pytest.approx(float(linear.predict(pd.DataFrame([home]))[0]), rel=LIMIT)


def test_a_version_without_an_onnx_model_is_served_by_its_pipeline_and_model_says_why(
    registry, home, linear
):
    registry.set_tags("1", {ONNX_ARTIFACT_TAG: None, ONNX_CHECK_TAG: None, ONNX_ERROR_TAG: None})
    described, price = model_description(home)
    assert described["predictor"] == "pipeline"
    assert described["predictor_fallback_reason"] == NO_ONNX_MODEL
    assert described["onnx_check"] is None and described["predictor_max_relative_error"] is None
    assert price == pytest.approx(float(linear.predict(pd.DataFrame([home]))[0]), rel=1e-12)


def test_a_failed_onnx_check_is_the_reason_the_pipeline_serves(registry, home):
    check = "failed: max relative error 2.0e-04 on 512 rows with float32 input is above 1e-05"
    registry.set_tags("1", {ONNX_ARTIFACT_TAG: None, ONNX_CHECK_TAG: check, ONNX_ERROR_TAG: "2e-4"})
    described, price = model_description(home)
    assert described["predictor"] == "pipeline"
    assert described["predictor_fallback_reason"] == f"the ONNX check did not pass: {check}"
    assert described["onnx_check"] == check and described["predictor_max_relative_error"] is None
    assert math.isfinite(price)


def test_an_onnx_model_answering_nan_is_not_served(registry, home, tmp_path):
    client = registry.client()
    run_id = registry.tags("1")["run_id"]
    model = tmp_path / "model.onnx"
    model.write_bytes(linear_graph(np.full(N_FEATURES, np.nan), 0.0))
    client.log_artifact(run_id, str(model), "broken-onnx")
    registry.set_tags("1", {ONNX_ARTIFACT_TAG: f"runs:/{run_id}/broken-onnx/model.onnx"})
    described, price = model_description(home)
    assert described["predictor"] == "pipeline"
    reason = described["predictor_fallback_reason"]
    assert reason.startswith(f"the ONNX model runs:/{run_id}/broken-onnx/model.onnx cannot be used")
    assert "answers nan for the spec's default home" in reason
    assert math.isfinite(price)


def test_importing_the_service_imports_neither_mlflow_nor_the_converters():
    code = (
        "import sys, webservice.app, webservice.model_source; "
        "print(sorted({'mlflow', 'skl2onnx', 'onnxmltools'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
