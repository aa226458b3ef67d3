"""`paris-housing train` against a real MLflow server on loopback, by configuration alone."""

from __future__ import annotations

import os
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient

from model_selection.data import load_training_data
from orchestration.pipeline import ingest_dataset
from paris_housing.metrics import regression_metrics
from tests.servers import VENV_BIN, Server, free_port

pytestmark = pytest.mark.integration

NAME = "paris-housing-kaggle"


@dataclass
class MlflowServer:
    """A tracking server: its URI and the folder its artifacts land in."""

    uri: str
    artifacts: Path


def _healthy(uri: str) -> bool:
    try:
        with urllib.request.urlopen(f"{uri}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory) -> Iterator[MlflowServer]:
    """`mlflow server` with one worker, a SQLite backend and a local artifacts folder."""
    work = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    uri = f"http://127.0.0.1:{port}"
    artifacts = work / "artifacts"
    server = Server(
        "mlflow",
        [
            str(VENV_BIN / "mlflow"),
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--backend-store-uri",
            f"sqlite:///{work / 'mlflow.db'}",
            "--artifacts-destination",
            artifacts.as_uri(),
        ],
        work / "mlflow.log",
        env={"MLFLOW_DISABLE_TELEMETRY": "true"},
        cwd=work,
    )
    server.start(lambda: _healthy(uri), timeout=180)
    yield MlflowServer(uri, artifacts)
    server.stop()


def _train(tmp_path: Path, uri: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VENV_BIN / "paris-housing"), "train", "--candidates", "linear,ridge"],
        env={**os.environ, "MLFLOW_TRACKING_URI": uri, "COLUMNS": "200"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _load_champion(uri: str):
    """The champion, loaded from the server the way the service loads it."""
    previous = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        return mlflow.sklearn.load_model(f"models:/{NAME}@champion")
    finally:
        mlflow.set_tracking_uri(previous[0])
        mlflow.set_registry_uri(previous[1])


def test_train_registers_and_promotes_on_the_server(mlflow_server, isolated_settings, tmp_path):
    ingest_dataset(source="shipped", settings=isolated_settings)
    done = _train(tmp_path, mlflow_server.uri)
    assert done.returncode == 0, done.stdout + done.stderr
    out = " ".join(done.stdout.split())
    assert f"Tracked in {mlflow_server.uri}" in out
    assert "Registered paris-housing-kaggle version 1 (linear): promoted" in out

    client = MlflowClient(tracking_uri=mlflow_server.uri, registry_uri=mlflow_server.uri)
    champion = client.get_model_version_by_alias(NAME, "champion")
    assert str(champion.version) == "1"
    assert champion.tags["candidate"] == "linear"
    assert champion.tags["dataset_version"] and champion.tags["decision"].startswith("promoted")
    assert 1_800 < float(champion.tags["holdout_rmse"]) < 2_100

    # the artifacts went through the server to its destination, not to the client's folders
    assert len(list(mlflow_server.artifacts.rglob("MLmodel"))) == 2
    assert not (tmp_path / "mlruns").exists() and not (tmp_path / ".local" / "mlartifacts").exists()

    model = _load_champion(mlflow_server.uri)
    data = load_training_data(settings=isolated_settings)
    metrics = regression_metrics(
        data.target(data.holdout), model.predict(data.features(data.holdout))
    )
    assert metrics.rmse == pytest.approx(float(champion.tags["holdout_rmse"]), rel=1e-12)

    again = _train(tmp_path, mlflow_server.uri)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "its holdout RMSE equals champion v1's" in " ".join(again.stdout.split())
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == "2"
