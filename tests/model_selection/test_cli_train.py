"""`paris-housing train`: the table and the decision, or one sentence and exit 1."""

import time

import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from orchestration.pipeline import ingest_dataset
from paris_housing.settings import get_settings
from tests.servers import free_port

runner = CliRunner()


@pytest.fixture
def ingested_here(isolated_settings):
    """The shipped dataset ingested into this test's own bucket."""
    ingest_dataset(source="shipped", settings=isolated_settings)
    return isolated_settings


def output(result) -> str:
    return " ".join(result.output.split())


@pytest.mark.slow
@pytest.mark.usefixtures("ingested_here")
def test_train_prints_the_candidates_and_promotes():
    result = runner.invoke(app, ["train", "--candidates", "ridge,linear"])
    assert result.exit_code == 0, result.output
    out = output(result)
    assert "trained on periods 1–3 (1990–2013)" in out
    assert "held out period 4 (2014–2021)" in out
    assert "linear * 1,913 1,912 1,488 0.9999996 0.110%" in out
    assert "ridge 2,123 1,955 1,528 0.9999995 0.118%" in out
    assert (
        "Registered paris-housing-kaggle version 1 (linear): promoted — passed the quality gate"
        in out
    )
    assert "there was no champion" in out
    assert "ONNX twin: passed: max relative error" in out and "(served by ONNX Runtime)" in out

    again = runner.invoke(app, ["train", "--candidates", "linear"])
    assert again.exit_code == 0, again.output
    assert "version 2 (linear): promoted" in output(again)
    assert "its holdout RMSE equals champion v1's 1,912.3 on the same holdout" in output(again)


@pytest.mark.slow
@pytest.mark.usefixtures("ingested_here")
def test_a_model_failing_the_gate_exits_1_and_says_why(monkeypatch):
    monkeypatch.setenv(
        "PARIS_HOUSING_QUALITY_GATES", '{"kaggle": {"max_rmse": 1500, "min_r2": 0.9999}}'
    )
    get_settings.cache_clear()
    result = runner.invoke(app, ["train", "--candidates", "linear"])
    assert result.exit_code == 1
    out = output(result)
    assert (
        "rejected — failed the quality gate: holdout RMSE 1,912.3 is above the maximum 1,500" in out
    )
    assert (
        "linear (version 1) failed the quality gate of dataset kaggle, so it was not promoted"
        in out
    )


def test_missing_dataset_exits_1_with_one_sentence():
    result = runner.invoke(app, ["train"])
    assert result.exit_code == 1
    assert "no version of dataset 'kaggle'" in output(result)
    assert "run `paris-housing ingest` first" in output(result)
    assert "Traceback" not in result.output


@pytest.mark.usefixtures("ingested_here")
def test_unreachable_tracking_server_exits_1_quickly(monkeypatch):
    uri = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    get_settings.cache_clear()
    start = time.perf_counter()
    result = runner.invoke(app, ["train", "--candidates", "linear"])
    assert result.exit_code == 1
    assert f"cannot reach the MLflow tracking server at {uri}" in output(result)
    assert "is MLFLOW_TRACKING_URI right?" in output(result)
    assert time.perf_counter() - start < 15


def test_unknown_candidate_exits_1_naming_the_known_ones():
    result = runner.invoke(app, ["train", "--candidates", "linear,lasso"])
    assert result.exit_code == 1
    assert (
        "unknown candidate(s) 'lasso'; known candidates: linear, ridge, random_forest, xgboost"
        in output(result)
    )


@pytest.mark.usefixtures("ingested_here")
def test_an_unusable_alias_exits_1_before_any_fitting(monkeypatch):
    monkeypatch.setenv("PARIS_HOUSING_MODEL_ALIAS", "challenger")
    get_settings.cache_clear()
    start = time.perf_counter()
    result = runner.invoke(app, ["train"])
    assert result.exit_code == 1
    assert "PARIS_HOUSING_MODEL_ALIAS is 'challenger'" in output(result)
    assert "Traceback" not in result.output
    assert time.perf_counter() - start < 15  # all five candidates would take far longer
