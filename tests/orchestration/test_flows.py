"""The training and scoring flows under Prefect: results, artifacts, retries, failures."""

# pylint: disable=no-member  # return_state=True returns a State, which pylint cannot infer

from __future__ import annotations

import asyncio

import pandas as pd
import pytest
from prefect.states import State

from orchestration.flows.scoring import PREDICTION, scoring_flow
from orchestration.flows.training import training_flow
from paris_housing.catalog import latest_version, read_manifest
from paris_housing.datasets import KAGGLE
from paris_housing.registry import CHAMPION, alias_version, mlflow_client
from paris_housing.storage import LocalBucket, open_bucket

FAST = ["linear", "ridge"]


def run_state(flow, **parameters) -> State:
    """Run ``flow`` and return its final state instead of raising on failure."""
    return flow(**parameters, return_state=True)


def _artifact(key: str) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async def read() -> str:
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
            )
            return found[0].data

    return asyncio.run(read())


def test_training_flow_ingests_trains_promotes_and_reports():
    outcome = training_flow(source="shipped", candidates=FAST)
    assert outcome.ingest_changed and outcome.outcome == "promoted"
    assert outcome.chosen == "linear" and outcome.model_version == "1"
    assert 1_800 < outcome.holdout_rmse < 2_100

    version = alias_version(mlflow_client(), KAGGLE.registered_model_name, CHAMPION)
    assert (
        str(version.version) == "1" and version.tags["dataset_version"] == outcome.dataset_version
    )
    assert outcome.dataset_version == latest_version(open_bucket(), KAGGLE)

    table = _artifact("kaggle-candidates")
    assert "| linear **(chosen)** |" in table and "| ridge |" in table
    assert "paris-housing-kaggle version 1" in table and "promoted" in table
    assert "ONNX twin: passed: max relative error" in table
    assert "| 4 | 2014–2021 | 2,507 |" in _artifact("kaggle-ingestion")

    again = training_flow(source="shipped", candidates=FAST)
    assert not again.ingest_changed and again.dataset_version == outcome.dataset_version
    assert again.model_version == "2" and again.outcome in {"promoted", "challenger"}
    assert again.holdout_rmse == pytest.approx(outcome.holdout_rmse)

    scored = scoring_flow()
    frame = pd.read_parquet(pd.io.common.BytesIO(open_bucket().get(scored.key)))
    champion = str(alias_version(mlflow_client(), KAGGLE.registered_model_name, CHAMPION).version)
    assert len(frame) == 2_507 and set(frame["model_version"]) == {champion}
    assert scored.rmse == pytest.approx(outcome.holdout_rmse, rel=1e-6)
    assert frame[PREDICTION].between(1e4, 1.1e7).all()


def test_a_transient_failure_is_retried_and_the_flow_completes(monkeypatch):
    calls = []
    original = LocalBucket.check

    def flaky(self):
        calls.append(1)
        if len(calls) == 1:
            raise OSError("the disk was busy")
        return original(self)

    monkeypatch.setattr(LocalBucket, "check", flaky)
    state = run_state(training_flow, source="shipped", candidates=["linear"])
    assert state.is_completed(), state.message
    assert len(calls) == 2


def test_an_unreachable_bucket_fails_the_flow_with_the_cause(stopped_s3):
    state = run_state(
        training_flow, source="shipped", bucket="s3://paris-housing", candidates=["linear"]
    )
    assert state.is_failed()
    assert f"cannot reach the S3 endpoint {stopped_s3}" in state.message


def test_a_failed_write_leaves_the_previous_version_latest_and_no_new_model(
    monkeypatch, write_csv, shipped_text
):
    first = training_flow(source="shipped", candidates=["linear"])
    original = LocalBucket._put

    def no_manifest(self, key, data, sha256, content_type):
        if key.endswith("manifest.json"):
            raise OSError("no space left on device")
        return original(self, key, data, sha256, content_type)

    monkeypatch.setattr(LocalBucket, "_put", no_manifest)
    state = run_state(
        training_flow, source=str(write_csv(shipped_text.head(3000))), candidates=["linear"]
    )
    assert state.is_failed() and "no space left on device" in state.message
    assert read_manifest(open_bucket(), KAGGLE).version == first.dataset_version
    versions = mlflow_client().search_model_versions(f"name='{KAGGLE.registered_model_name}'")
    assert [str(v.version) for v in versions] == ["1"]


def test_scoring_without_a_champion_says_to_train_first():
    state = run_state(scoring_flow)
    assert state.is_failed() and "train and promote a model first" in state.message
    mlflow_client().search_registered_models()  # a registry database, with no champion in it
    state = run_state(scoring_flow)
    assert state.is_failed() and "run the training flow first" in state.message


def test_scoring_refuses_rows_the_spec_does_not_allow_with_the_checkers_sentence(shipped_text):
    training_flow(source="shipped", candidates=["linear"])
    frame = shipped_text.head(10).astype(float)
    frame.loc[3, "squareMeters"] = -5
    frame.loc[7, "hasPool"] = 0.5
    buffer = pd.io.common.BytesIO()
    frame.to_parquet(buffer, index=False)
    open_bucket().put("incoming/homes.parquet", buffer.getvalue(), "application/octet-stream")
    state = run_state(scoring_flow, key="incoming/homes.parquet")
    assert state.is_failed()
    assert "incoming/homes.parquet cannot be scored" in state.message
    assert "row 3, squareMeters: -5 must be a whole number from 1 to 100,000 m²" in state.message
    assert "row 7, hasPool: 0.5 must be 0 (no) or 1 (yes)" in state.message
