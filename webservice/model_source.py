"""Where served models come from: the MLflow registry named by ``MLFLOW_TRACKING_URI``.

mlflow is imported on the first registry call, in the model watcher's thread, never on a
request's path.
"""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from paris_housing.datasets import DatasetSpec
from paris_housing.registry import alias_version, mlflow_client
from paris_housing.settings import Settings
from webservice.compiler import compile_model
from webservice.served import ServedModel

# An unreachable registry must not hold the watcher for minutes (mlflow's defaults: 7 retries,
# 120 s timeout); the user's own values of these mlflow variables win.
MLFLOW_HTTP_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "15",
}


class RegistryMissing(RuntimeError):
    """The embedded registry's database does not exist yet."""


def masked(uri: str) -> str:
    """``uri`` without the password it may hold (``scheme://user:secret@host`` -> ``user:***``)."""
    return re.sub(r"(//[^/:@]*):[^/@]*@", r"\1:***@", uri)


class RegistrySource:
    """The versions of one registered model and the alias that names the one to serve."""

    def __init__(self, settings: Settings, spec: DatasetSpec) -> None:
        for name, value in MLFLOW_HTTP_DEFAULTS.items():
            os.environ.setdefault(name, value)
        self.settings = settings
        self.spec = spec
        self.name = spec.registered_model_name
        self.alias = settings.model_alias
        self.registry_uri = masked(settings.mlflow_tracking_uri)
        self._client: Any = None

    @property
    def client(self) -> Any:
        """The MlflowClient, made on first use."""
        if self._client is None:
            self._client = mlflow_client(self.settings)
        return self._client

    def resolve(self) -> str | None:
        """The version the alias points to now, or None when nothing has the alias."""
        uri = self.settings.mlflow_tracking_uri
        if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).is_file():
            # mlflow would create an empty database (racing other workers to migrate it)
            raise RegistryMissing(
                f"no MLflow database at {uri.removeprefix('sqlite:///')} yet: "
                "train and promote a model first (paris-housing train)"
            )
        version = alias_version(self.client, self.name, self.alias)
        return None if version is None else str(version.version)

    def load(self, version: str) -> ServedModel:
        """Load ``version`` with the sklearn flavor and compile it into a fast predictor."""
        import mlflow.sklearn

        start = time.perf_counter()
        details = self.client.get_model_version(self.name, version)
        model = mlflow.sklearn.load_model(f"models:/{self.name}/{version}")
        compiled = compile_model(model, self.spec)
        return ServedModel(
            name=self.name,
            version=str(version),
            alias=self.alias,
            predictor=compiled.predictor,
            max_relative_error=compiled.max_relative_error,
            registry_uri=self.registry_uri,
            loaded_at=datetime.now(UTC),
            load_seconds=time.perf_counter() - start,
            run_id=details.run_id,
            source=masked(details.source or ""),
            tags=dict(details.tags or {}),
            notes=compiled.notes,
        )
