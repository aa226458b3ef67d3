"""Registries for the service's tests, filled by the real pipeline on a small sample.

:func:`benchmarks.champions.train_registry` ingests a seeded sample of the shipped CSV and runs
model selection: the versions, their tags, their ONNX models and their aliases are the ones
``paris-housing train`` makes. Here a test gets handles on them: the registry (copied per test,
so that a test may move aliases), and the training data the models were fitted on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from benchmarks.champions import TrainedRegistry
from model_selection.data import TrainingData, load_training_data
from paris_housing.datasets import DatasetSpec

if TYPE_CHECKING:  # pragma: no cover
    from mlflow import MlflowClient


@dataclass(frozen=True)
class Split:
    """The rows the models were fitted on (earlier periods) and judged on (the last one)."""

    x_train: pd.DataFrame
    y_train: pd.Series
    x_holdout: pd.DataFrame
    y_holdout: pd.Series

    @classmethod
    def of(cls, data: TrainingData) -> Split:
        """The split model selection made of ``data``."""
        return cls(
            data.features(data.train),
            data.target(data.train),
            data.features(data.holdout),
            data.target(data.holdout),
        )


def training_split(trained: TrainedRegistry) -> Split:
    """The training and holdout rows of the dataset version ``trained`` was selected on."""
    return Split.of(load_training_data(settings=trained.settings))


@dataclass(frozen=True)
class Registry:
    """A registry (SQLite + an artifacts folder, or a server) holding one spec's model."""

    tracking_uri: str
    artifacts: Path
    spec: DatasetSpec

    @classmethod
    def of(cls, trained: TrainedRegistry, spec: DatasetSpec) -> Registry:
        """The registry ``trained`` filled."""
        return cls(trained.tracking_uri, trained.artifacts, spec)

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

    def tags(self, version: str) -> dict[str, str]:
        """The tags of ``version``."""
        return dict(self.client().get_model_version(self.name, version).tags)

    def set_tags(self, version: str, tags: dict[str, str | None]) -> None:
        """Set ``version``'s tags; a tag given None is removed."""
        client = self.client()
        for key, value in tags.items():
            if value is None:
                client.delete_model_version_tag(self.name, version, key)
            else:
                client.set_model_version_tag(self.name, version, key, value)

    def copy(self, root: Path) -> Registry:
        """The same registry with its own database file (artifacts shared, read-only)."""
        root.mkdir(parents=True, exist_ok=True)
        source = Path(self.tracking_uri.removeprefix("sqlite:///"))
        target = root / source.name
        target.write_bytes(source.read_bytes())
        return Registry(f"sqlite:///{target}", self.artifacts, self.spec)
