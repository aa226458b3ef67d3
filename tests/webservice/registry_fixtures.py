"""Real models in a real MLflow registry (SQLite + an artifacts folder), for tests and benchmarks.

Each model is a small scikit-learn pipeline fitted on the shipped dataset, logged with the
sklearn flavor (signature, input example, explicit pip requirements), registered under the
spec's model name, tagged like model selection tags its versions, and optionally given an alias.
The web form's tests and ``make bench`` reuse this module.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from paris_housing.datasets import DatasetSpec
from paris_housing.settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from mlflow import MlflowClient
    from sklearn.pipeline import Pipeline

HOLDOUT_SHARE = 0.2
SEED = 42


def shipped_frame(spec: DatasetSpec, settings: Settings | None = None) -> pd.DataFrame:
    """The shipped CSV with the spec's columns and dtypes."""
    settings = settings or Settings()
    path = settings.shipped_data_dir / spec.source.file_name
    return pd.read_csv(path, usecols=spec.column_names).astype(spec.dtypes())[spec.column_names]


@dataclass(frozen=True)
class Split:
    """Earlier rows to fit on, later rows to measure on."""

    x_train: pd.DataFrame
    y_train: pd.Series
    x_holdout: pd.DataFrame
    y_holdout: pd.Series


def split(spec: DatasetSpec, frame: pd.DataFrame) -> Split:
    """Train on the first 80% of rows in time order, hold out the rest."""
    ordered = frame.sort_values(spec.time_column, kind="stable").reset_index(drop=True)
    cut = int(len(ordered) * (1 - HOLDOUT_SHARE))
    x, y = ordered[spec.feature_names], ordered[spec.target.name]
    return Split(x.iloc[:cut], y.iloc[:cut], x.iloc[cut:], y.iloc[cut:])


def linear_pipeline(data: Split, alpha: float | None = None) -> Pipeline:
    """Scaler + ordinary least squares (or ridge with ``alpha``): the kind of model that wins."""
    from sklearn.linear_model import LinearRegression, Ridge
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    model = LinearRegression() if alpha is None else Ridge(alpha=alpha)
    return Pipeline([("scale", StandardScaler()), ("model", model)]).fit(data.x_train, data.y_train)


def xgboost_pipeline(data: Split, n_estimators: int = 300, max_depth: int = 6) -> Pipeline:
    """XGBoost on the raw features, single-threaded fit with a fixed seed."""
    from sklearn.pipeline import Pipeline
    from xgboost import XGBRegressor

    model = XGBRegressor(
        n_estimators=n_estimators,
        max_depth=max_depth,
        learning_rate=0.1,
        random_state=SEED,
        n_jobs=1,
    )
    return Pipeline([("model", model)]).fit(data.x_train, data.y_train)


def forest_pipeline(data: Split, n_estimators: int = 30, max_depth: int | None = 12) -> Pipeline:
    """A random forest behind a scaler (the scaler is useless for trees, but candidates have it)."""
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    model = RandomForestRegressor(
        n_estimators=n_estimators, max_depth=max_depth, random_state=SEED, n_jobs=1
    )
    return Pipeline([("scale", StandardScaler()), ("model", model)]).fit(data.x_train, data.y_train)


def holdout_metrics(pipeline: Pipeline, data: Split) -> dict[str, float]:
    """RMSE, MAE, R² and MAPE on the holdout."""
    predicted = np.asarray(pipeline.predict(data.x_holdout), dtype=float)
    actual = data.y_holdout.to_numpy(dtype=float)
    error = predicted - actual
    return {
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mae": float(np.mean(np.abs(error))),
        "r2": float(1 - np.sum(error**2) / np.sum((actual - actual.mean()) ** 2)),
        "mape": float(np.mean(np.abs(error) / np.abs(actual))),
    }


@dataclass(frozen=True)
class Registry:
    """A registry on SQLite with its artifacts folder, for one dataset spec's model."""

    tracking_uri: str
    artifacts: Path
    spec: DatasetSpec

    @property
    def name(self) -> str:
        """The registered model's name."""
        return self.spec.registered_model_name

    def client(self) -> MlflowClient:
        """A client on this registry."""
        from mlflow import MlflowClient

        return MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)

    def set_alias(self, version: str, alias: str = "champion") -> None:
        """Point ``alias`` at ``version``."""
        self.client().set_registered_model_alias(self.name, alias, version)

    def delete_alias(self, alias: str = "champion") -> None:
        """Remove ``alias``."""
        self.client().delete_registered_model_alias(self.name, alias)

    def copy(self, root: Path) -> Registry:
        """The same registry with its own database file (artifacts shared, read-only)."""
        root.mkdir(parents=True, exist_ok=True)
        source = Path(self.tracking_uri.removeprefix("sqlite:///"))
        target = root / source.name
        target.write_bytes(source.read_bytes())
        return Registry(f"sqlite:///{target}", self.artifacts, self.spec)


def create_registry(root: Path, spec: DatasetSpec, server_uri: str | None = None) -> Registry:
    """An empty registry with an experiment to log into: SQLite and an artifacts folder in
    ``root``, or the MLflow server at ``server_uri`` (which keeps the artifacts itself)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    root.mkdir(parents=True, exist_ok=True)
    uri = server_uri or f"sqlite:///{root / 'mlflow.db'}"
    registry = Registry(uri, root / "artifacts", spec)
    location = None if server_uri else registry.artifacts.as_uri()
    registry.client().create_experiment(
        f"{spec.registered_model_name}-tests", artifact_location=location
    )
    return registry


def register(
    registry: Registry,
    pipeline: Pipeline,
    data: Split,
    candidate: str,
    alias: str | None = None,
    dataset_version: str = "test-version",
) -> str:
    """Log ``pipeline`` as a run's model, register it, tag it, alias it; return its version."""
    import mlflow
    import skops.io
    from mlflow.models import infer_signature

    client = registry.client()
    experiment = client.get_experiment_by_name(f"{registry.name}-tests")
    metrics = holdout_metrics(pipeline, data)
    example = data.x_train.head(2)
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(registry.tracking_uri)
    mlflow.set_registry_uri(registry.tracking_uri)
    try:
        with (
            mlflow.start_run(experiment_id=experiment.experiment_id, run_name=candidate),
            warnings.catch_warnings(),
        ):
            # the spec's integer columns are never missing: mlflow's hint about them is moot
            warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
            mlflow.log_metrics({f"holdout_{k}": v for k, v in metrics.items()})
            info = mlflow.sklearn.log_model(
                pipeline,
                name="model",
                signature=infer_signature(example, pipeline.predict(example)),
                input_example=example,
                pip_requirements=_requirements(),
                skops_trusted_types=skops.io.get_untrusted_types(data=skops.io.dumps(pipeline)),
                registered_model_name=registry.name,
            )
    finally:
        mlflow.set_tracking_uri(previous)
    version = str(info.registered_model_version)
    tags = {
        "dataset": registry.spec.name,
        "dataset_version": dataset_version,
        "candidate": candidate,
        "decision": "promoted" if alias == "champion" else "registered",
        **{f"holdout_{k}": repr(v) for k, v in metrics.items()},
    }
    for key, value in tags.items():
        client.set_model_version_tag(registry.name, version, key, value)
    if alias:
        registry.set_alias(version, alias)
    return version


def _requirements() -> list[str]:
    from importlib.metadata import version

    return [
        f"{name}=={version(name)}"
        for name in ("mlflow", "scikit-learn", "xgboost-cpu", "pandas", "numpy", "skops")
    ]
