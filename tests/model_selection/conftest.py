"""One trained registry for the whole session: the shipped data ingested, every candidate tried.

Built with explicit settings (the autouse ``isolated_settings`` fixture is per test) and with the
project's variables cleared while they are read, so nothing leaks in from the user's shell.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from model_selection.data import TrainingData, load_training_data
from orchestration.pipeline import TrainResult, ingest_dataset, train_models
from paris_housing.settings import Settings
from tests.conftest import SHIPPED_CSV


def make_settings(root: Path, **overrides) -> Settings:
    """Settings whose every place is under ``root``, whatever the environment says."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith(("PARIS_HOUSING_", "MLFLOW_TRACKING_URI")):
                patch.delenv(name)
        values = {
            "local_dir": root / ".local",
            "bucket": str(root / "bucket"),
            "shipped_data_dir": SHIPPED_CSV.parent,
            "mlflow_tracking_uri": f"sqlite:///{root / '.local' / 'mlflow.db'}",
            "mlflow_artifacts_dir": root / ".local" / "mlartifacts",
        }
        return Settings(_env_file=None, **{**values, **overrides})


@dataclass
class Trained:
    """A store trained once: its settings, the data and what the selection did."""

    settings: Settings
    data: TrainingData
    result: TrainResult


@pytest.fixture(scope="session")
def trained(tmp_path_factory) -> Trained:
    """The shipped dataset ingested and every candidate selected, logged and registered."""
    settings = make_settings(tmp_path_factory.mktemp("trained"))
    ingest_dataset(source="shipped", settings=settings)
    result = train_models(settings=settings)
    return Trained(settings, load_training_data(settings=settings), result)


@pytest.fixture(scope="session")
def ingested(tmp_path_factory) -> Settings:
    """Settings of a store with the shipped dataset ingested and no model yet."""
    settings = make_settings(tmp_path_factory.mktemp("ingested"))
    ingest_dataset(source="shipped", settings=settings)
    return settings


@pytest.fixture(scope="session")
def data(ingested: Settings) -> TrainingData:
    """The shipped dataset's periods, read back from the bucket."""
    return load_training_data(settings=ingested)


@pytest.fixture(scope="session")
def hist_candidate():
    """scikit-learn's histogram gradient boosting as a candidate: a model that no ONNX converter
    here handles (skl2onnx 1.20 fails on scikit-learn 1.9's trees), for the fallback tests."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    from model_selection.candidates import Candidate

    return Candidate(
        "hist_gradient_boosting",
        "tree",
        "scikit-learn's histogram gradient boosting (no ONNX converter for it here)",
        scale=False,
        estimator=lambda seed: HistGradientBoostingRegressor(max_iter=30, random_state=seed),
    )
