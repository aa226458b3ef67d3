"""Where served models come from: the MLflow registry named by ``MLFLOW_TRACKING_URI``.

mlflow is imported on the first registry call, in the model watcher's thread, never on a
request's path. A version is served by its ONNX model when registration exported one (the tag
``onnx_artifact``), otherwise by its pipeline.
"""

from __future__ import annotations

import logging
import math
import os
import re
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from paris_housing.datasets import DatasetSpec
from paris_housing.registry import alias_version, mlflow_client
from paris_housing.settings import Settings
from webservice.predictors import OnnxPredictor, PipelinePredictor, Predictor, onnx_session
from webservice.served import OnnxRecord, ServedModel

log = logging.getLogger(__name__)

# An unreachable registry must not hold the watcher for minutes (mlflow's defaults: 7 retries,
# 120 s timeout), and a download needs no progress bar in the service's log; the user's own
# values of these mlflow variables win.
MLFLOW_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "15",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}


class RegistryMissing(RuntimeError):
    """The embedded registry's database does not exist yet."""


def masked(uri: str) -> str:
    """``uri`` without the password it may hold (``scheme://user:secret@host`` -> ``user:***``)."""
    return re.sub(r"(//[^/:@]*):[^/@]*@", r"\1:***@", uri)


class RegistrySource:
    """The versions of one registered model and the alias that names the one to serve."""

    def __init__(self, settings: Settings, spec: DatasetSpec) -> None:
        for name, value in MLFLOW_DEFAULTS.items():
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
        """Load ``version``: its ONNX model in ONNX Runtime when registration exported one,
        otherwise its pipeline (sklearn flavor), keeping the reason for ``/model``.

        The export's check (recorded on the version) is not redone; the session only has to
        answer a finite price for the spec's default home.
        """
        start = time.perf_counter()
        details = self.client.get_model_version(self.name, version)
        tags = dict(details.tags or {})
        onnx = OnnxRecord.from_tags(tags)
        predictor: Predictor | None = None
        reason = onnx.missing_reason
        if onnx.artifact:
            try:
                predictor = self._onnx_predictor(onnx.artifact)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                reason = (
                    f"the ONNX model {onnx.artifact} cannot be used: {type(exc).__name__}: {exc}"
                )
        if predictor is None:
            log.warning(
                "version %s of %r is served by its pipeline (slower): %s",
                version,
                self.name,
                reason,
            )
            predictor = self._pipeline_predictor(version)
        return ServedModel(
            name=self.name,
            version=str(version),
            alias=self.alias,
            predictor=predictor,
            registry_uri=self.registry_uri,
            loaded_at=datetime.now(UTC),
            load_seconds=time.perf_counter() - start,
            onnx=onnx,
            fallback_reason=reason if predictor.kind != OnnxPredictor.kind else None,
            run_id=details.run_id,
            source=masked(details.source or ""),
            tags=tags,
        )

    def _onnx_predictor(self, artifact: str) -> OnnxPredictor:
        """The ONNX model at ``artifact`` (a ``runs:/`` URI) in a session, checked to answer a
        finite price for the spec's default home."""
        import mlflow.artifacts

        with tempfile.TemporaryDirectory(prefix="paris-housing-onnx-") as folder:
            path = mlflow.artifacts.download_artifacts(
                artifact_uri=artifact,
                dst_path=folder,
                tracking_uri=self.settings.mlflow_tracking_uri,
            )
            predictor = OnnxPredictor(onnx_session(Path(path)), len(self.spec.features))
        home = self.spec.example_row()
        price = predictor.predict_one(home)
        if not math.isfinite(price):
            raise ValueError(f"it answers {price} for the spec's default home {home}")
        return predictor

    def _pipeline_predictor(self, version: str) -> PipelinePredictor:
        """The version's fitted pipeline (mlflow's sklearn flavor)."""
        import mlflow.sklearn

        return PipelinePredictor(
            mlflow.sklearn.load_model(f"models:/{self.name}/{version}"), self.spec
        )
