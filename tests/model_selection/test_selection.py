"""The whole selection on the shipped data: the known facts, the runs, the registry."""

import pickle
from pathlib import Path

import pytest

from model_selection.promotion import Outcome
from paris_housing.registry import CHALLENGER, CHAMPION, alias_version, mlflow_client

pytestmark = pytest.mark.slow  # the session selection of every candidate (~20 s)


@pytest.fixture(scope="module")
def client(trained):
    return mlflow_client(trained.settings)


def test_selection_finds_the_linear_model_the_data_is_made_of(trained):
    result = trained.result
    scores = {r.name: r for r in result.candidates}
    assert set(scores) == {"linear", "ridge", "random_forest", "xgboost", "lightgbm"}
    assert result.chosen == "linear"
    linear = scores["linear"].holdout
    assert 1_800 < linear.rmse < 2_100
    assert linear.r2 > 0.99999
    assert linear.mape < 0.002
    for tree in ("random_forest", "xgboost", "lightgbm"):
        assert scores[tree].holdout.rmse > 1.5 * linear.rmse
        assert scores[tree].cv_rmse > scores["linear"].cv_rmse
    assert scores["ridge"].holdout.rmse > linear.rmse


def test_first_selection_promotes_with_its_numbers(trained):
    registration = trained.result.registration
    assert registration.decision.outcome is Outcome.PROMOTED
    assert registration.version == "1" and registration.champion_before is None
    assert registration.violations == ()
    assert "holdout RMSE 1,9" in registration.decision.reason
    assert registration.decision.reason.endswith("there was no champion")


def test_version_carries_the_contract_tags(trained, client):
    result = trained.result
    version = alias_version(client, "paris-housing-kaggle", CHAMPION)
    assert version is not None and str(version.version) == result.registration.version
    assert alias_version(client, "paris-housing-kaggle", CHALLENGER) is None
    tags = version.tags
    holdout = result.registration.holdout
    assert tags["dataset"] == "kaggle"
    assert tags["dataset_version"] == trained.data.version
    assert tags["candidate"] == "linear"
    assert float(tags["holdout_rmse"]) == holdout.rmse
    assert float(tags["holdout_mae"]) == holdout.mae
    assert float(tags["holdout_r2"]) == holdout.r2
    assert float(tags["holdout_mape"]) == holdout.mape
    assert tags["decision"] == result.registration.decision.tag
    assert tags["decision"].startswith("promoted: passed the quality gate")
    assert version.run_id == result.logged["linear"].run_id
    onnx = result.registration.onnx
    assert tags["onnx_check"] == onnx.sentence
    assert tags["onnx_check"].startswith("passed: max relative error ")
    assert tags["onnx_check"].endswith("with float64 input (limit 1e-05)")
    assert float(tags["onnx_max_relative_error"]) == onnx.max_relative_error < 1e-10
    assert tags["onnx_artifact"] == f"runs:/{version.run_id}/onnx/model.onnx"


def test_one_parent_run_with_a_child_per_candidate(trained, client):
    result = trained.result
    parent = client.get_run(result.selection.run_id)
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["dataset_version"] == trained.data.version
    assert parent.data.tags["chosen"] == "linear"
    assert parent.data.tags["decision"] == result.registration.decision.tag
    assert parent.data.params["holdout_period"] == "4 (2014–2021)"
    assert parent.data.params["train_periods"] == "1-3 (1990–2013)"
    inputs = {i.dataset.name: i for i in parent.inputs.dataset_inputs}
    assert set(inputs) == {
        f"kaggle-{trained.data.version}-training",
        f"kaggle-{trained.data.version}-holdout",
    }
    children = client.search_runs(
        [result.selection.experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{result.selection.run_id}'",
    )
    assert sorted(c.info.run_name for c in children) == sorted(result.logged)
    for child in children:
        name = child.info.run_name
        scores = next(r for r in result.candidates if r.name == name)
        assert child.data.metrics["holdout_rmse"] == scores.holdout.rmse
        assert child.data.metrics["cv_rmse"] == pytest.approx(scores.cv_rmse)
        assert child.data.params["candidate"] == name
        assert child.data.tags["chosen"] == str(name == "linear").lower()
        history = client.get_metric_history(child.info.run_id, "cv_fold_rmse")
        assert [m.step for m in history] == [1, 2]
        artifacts = {a.path for a in client.list_artifacts(child.info.run_id)}
        assert {"residuals.png", "feature_importances.csv"} <= artifacts


def test_artifacts_land_under_the_configured_folder_not_mlruns(trained, client):
    result = trained.result
    experiment = client.get_experiment(result.selection.experiment_id)
    folder = trained.settings.mlflow_artifacts_dir.resolve()
    assert experiment.artifact_location == folder.as_uri()
    assert list(folder.rglob("residuals.png"))
    assert len(list(folder.rglob("MLmodel"))) == 5
    assert not Path("mlruns").exists()


def test_logged_model_has_signature_example_and_pinned_requirements(trained):
    folder = trained.settings.mlflow_artifacts_dir.resolve()
    model_id = trained.result.logged["xgboost"].model_id
    (mlmodel,) = [p for p in folder.rglob("MLmodel") if model_id in str(p)]
    text = mlmodel.read_text()
    assert "serialization_format: cloudpickle" in text
    assert '"name": "squareMeters"' in text and '"type": "long"' in text
    assert (mlmodel.parent / "input_example.json").exists()
    requirements = (mlmodel.parent / "requirements.txt").read_text().split()
    assert any(r.startswith("xgboost-cpu==") for r in requirements)
    assert any(r.startswith("scikit-learn==") for r in requirements)


def test_linear_importances_put_surface_first(trained):
    folder = trained.settings.mlflow_artifacts_dir.resolve()
    run_id = trained.result.logged["linear"].run_id
    (csv,) = [p for p in folder.rglob("feature_importances.csv") if run_id in str(p)]
    lines = csv.read_text().splitlines()
    assert lines[0] == "feature,coefficient,importance,share"
    assert lines[1].startswith("squareMeters,")


def test_step_inputs_and_outputs_are_picklable_for_an_orchestrator(trained):
    data, result = pickle.loads(pickle.dumps((trained.data, trained.result)))
    assert data.version == trained.data.version and len(data.periods) == 4
    assert result.registration == trained.result.registration
    holdout = data.features(data.holdout)
    for restored, original in zip(result.candidates, trained.result.candidates):
        assert restored.holdout == original.holdout
        assert (restored.model.predict(holdout) == original.model.predict(holdout)).all()
