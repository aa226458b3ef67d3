"""Access to the MLflow tracking server and model registry, configured from the settings.

mlflow is imported inside the functions: importing this module costs nothing.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from paris_housing.settings import Settings, get_settings

if TYPE_CHECKING:  # pragma: no cover
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

CHAMPION = "champion"
CHALLENGER = "challenger"

# The tags model selection writes on a version and the service reads: one home for their names.
METRIC_TAG_PREFIX = "holdout_"  # holdout_rmse, holdout_r2 ...: repr of each holdout metric
ONNX_CHECK_TAG = "onnx_check"  # 'passed: …', 'failed: …' or 'unavailable: …'
ONNX_ERROR_TAG = "onnx_max_relative_error"  # repr of the float; absent when unavailable
ONNX_ARTIFACT_TAG = "onnx_artifact"  # runs:/<run_id>/onnx/model.onnx; only when it passed


def configure_mlflow(settings: Settings | None = None) -> str:
    """Point mlflow at the configured tracking URI (creating the local folder it needs).

    Returns the tracking URI. Telemetry is switched off unless the user set it.
    """
    import mlflow

    settings = settings or get_settings()
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    uri = settings.mlflow_tracking_uri
    if uri.startswith("sqlite:///"):
        path = uri.removeprefix("sqlite:///")
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return uri


def mlflow_client(settings: Settings | None = None) -> MlflowClient:
    """An MlflowClient on the configured tracking + registry URI."""
    from mlflow import MlflowClient

    uri = configure_mlflow(settings)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def alias_version(client: MlflowClient, name: str, alias: str) -> ModelVersion | None:
    """The model version that ``alias`` points to, or None when the alias or model is absent."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        if exc.error_code in {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"}:
            return None
        raise
