"""MLflow tracking of a selection: one parent run, a child run per candidate with its model.

The embedded default (``sqlite:///.local/mlflow.db``) keeps artifacts under the
``mlflow_artifacts_dir`` setting, never in ``./mlruns``; with an MLflow server
(``MLFLOW_TRACKING_URI=http://...``) the server decides where artifacts go.
"""

from __future__ import annotations

import logging
import tempfile
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from model_selection.candidates import CANDIDATES, ESTIMATOR
from model_selection.data import TrainingData
from model_selection.evaluation import CandidateResult, feature_importances
from model_selection.plots import residual_figure
from paris_housing.registry import mlflow_client
from paris_housing.settings import Settings, get_settings

if TYPE_CHECKING:  # pragma: no cover
    from mlflow import MlflowClient

MODEL_ARTIFACT = "model"
# The ONNX twin of the chosen model, in its candidate's run: runs:/<run_id>/onnx/model.onnx
ONNX_ARTIFACT_DIR = "onnx"
ONNX_FILE = "model.onnx"
# cloudpickle, not MLflow's default skops: skops costs ~1.5 s to import and ~0.5 s per saved
# model (its type scan walks sys.modules), and under MLflow it is no safer: loading either is
# gated by MLFLOW_ALLOW_PICKLE_DESERIALIZATION, and skops' trusted types are read from the model.
SERIALIZATION_FORMAT = "cloudpickle"
INPUT_EXAMPLE_ROWS = 5
SERVER_TIMEOUT_SECONDS = 5.0


# What MLflow warns about on every log_model, for choices made on purpose here
EXPECTED_WARNINGS = (
    "Hint: Inferred schema contains integer column",  # the spec's integers are never missing
    "The specified dataset source can be interpreted in multiple ways",  # a folder: either reads
)
EXPECTED_WARNING_LOGGERS = (
    "mlflow.sklearn",  # cloudpickle rather than skops: see SERIALIZATION_FORMAT
    "mlflow.utils.environment",  # no `pip` in a uv-made environment: conda.yaml lists it unpinned
)


@contextmanager
def expected_warnings_silenced() -> Iterator[None]:
    """Silence MLflow's warnings about the deliberate choices above, and only those."""
    loggers = [logging.getLogger(name) for name in EXPECTED_WARNING_LOGGERS]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        for message in EXPECTED_WARNINGS:
            warnings.filterwarnings("ignore", message=message, category=UserWarning)
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels):
                logger.setLevel(level)


class TrackingUnavailable(RuntimeError):
    """The MLflow tracking server cannot be reached."""


@dataclass(frozen=True)
class SelectionRun:
    """The parent run of one selection."""

    experiment_id: str
    run_id: str


@dataclass(frozen=True)
class LoggedCandidate:
    """Where a candidate's run and model were logged."""

    name: str
    run_id: str
    model_id: str
    model_uri: str


def check_tracking(settings: Settings | None = None) -> str:
    """For a tracking server, check that it answers (without importing mlflow); return the URI.

    Done before any fitting, so that a stopped server costs a second, not a training.
    """
    uri = (settings or get_settings()).mlflow_tracking_uri
    if uri.startswith(("http://", "https://")):
        health = f"{uri.rstrip('/')}/health"
        try:
            with urllib.request.urlopen(health, timeout=SERVER_TIMEOUT_SECONDS) as response:
                response.read()
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise TrackingUnavailable(
                f"cannot reach the MLflow tracking server at {uri} ({reason}): is it running, "
                "and is MLFLOW_TRACKING_URI right?"
            ) from exc
    return uri


def is_server(uri: str) -> bool:
    """Whether ``uri`` names a tracking server (which then decides where artifacts go)."""
    return uri.startswith(("http://", "https://", "databricks"))


def ensure_experiment(client: MlflowClient, name: str, settings: Settings) -> str:
    """The id of experiment ``name``, created if needed (locally with artifacts under the
    ``mlflow_artifacts_dir`` setting, as an absolute file URI)."""
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    location = None
    if not is_server(settings.mlflow_tracking_uri):
        folder = settings.mlflow_artifacts_dir.resolve()
        folder.mkdir(parents=True, exist_ok=True)
        location = folder.as_uri()
    return client.create_experiment(name, artifact_location=location)


def prepare_tracking(experiment: str, settings: Settings | None = None) -> str:
    """Point mlflow at the configured URI, open the store and make sure ``experiment`` exists;
    return its id.

    The first opening of a local store creates its database schema, which takes seconds: the
    selection runs this while the candidates fit.
    """
    settings = settings or get_settings()
    return ensure_experiment(mlflow_client(settings), experiment, settings)


def start_selection(
    data: TrainingData, names: list[str], settings: Settings | None = None
) -> SelectionRun:
    """Open the parent run: what is selected on, with the dataset version as tags and inputs."""
    from mlflow.data.pandas_dataset import from_pandas
    from mlflow.entities import Dataset, DatasetInput, InputTag, Param

    settings = settings or get_settings()
    client = mlflow_client(settings)
    experiment_id = ensure_experiment(client, data.spec.registered_model_name, settings)
    run = client.create_run(
        experiment_id,
        run_name=f"selection {data.dataset} {data.version}",
        tags={"dataset": data.dataset, "dataset_version": data.version, "stage": "selection"},
    )
    holdout = len(data.periods)
    params = {
        "candidates": ",".join(names),
        "cv": "expanding window over the training periods",
        "cv_folds": " | ".join(fold.label for fold in data.folds),
        "train_periods": f"1-{holdout - 1} ({data.train_span})",
        "holdout_period": f"{holdout} ({data.period_spans[-1]})",
        "train_rows": len(data.train),
        "holdout_rows": len(data.holdout),
        "dataset_source": data.source,
    }
    inputs = []
    for context, frame in (("training", data.train), ("holdout", data.holdout)):
        with expected_warnings_silenced():
            dataset = from_pandas(
                frame,
                source=data.source,
                targets=data.spec.target.name,
                name=f"{data.dataset}-{data.version}-{context}",
            ).to_dict()
        inputs.append(DatasetInput(Dataset(**dataset), [InputTag("mlflow.data.context", context)]))
    client.log_batch(run.info.run_id, params=[Param(k, str(v)) for k, v in params.items()])
    client.log_inputs(run.info.run_id, datasets=inputs)
    return SelectionRun(experiment_id, run.info.run_id)


def model_params(result: CandidateResult) -> dict[str, str]:
    """The pipeline's settings worth recording: preprocessing and the estimator's parameters."""
    candidate = CANDIDATES[result.name]
    estimator = result.model.named_steps[ESTIMATOR]
    params = {
        "candidate": result.name,
        "preprocessing": "standardise" if candidate.scale else "none",
        "estimator": type(estimator).__name__,
    }
    params.update(
        {
            f"estimator.{k}": str(v)
            for k, v in sorted(estimator.get_params(deep=False).items())
            if v is not None
        }
    )
    return params


def log_candidate(
    selection: SelectionRun, result: CandidateResult, data: TrainingData, chosen: bool
) -> LoggedCandidate:
    """A child run with the candidate's params, metrics, model (signature, input example,
    pinned requirements), residual plot and feature importances."""
    import mlflow
    from mlflow.models import infer_signature

    candidate = CANDIDATES[result.name]
    spec = data.spec
    holdout_x = data.features(data.holdout)
    predicted = result.model.predict(holdout_x)
    example = holdout_x.head(INPUT_EXAMPLE_ROWS)
    importances = feature_importances(result.model, spec.feature_names)
    tags = {
        "candidate": result.name,
        "family": result.family,
        "dataset": data.dataset,
        "dataset_version": data.version,
        "chosen": str(chosen).lower(),
    }
    with mlflow.start_run(
        experiment_id=selection.experiment_id,
        run_name=result.name,
        parent_run_id=selection.run_id,
        tags=tags,
        description=candidate.description,
    ) as run:
        mlflow.log_params(model_params(result))
        mlflow.log_metrics(
            {
                **result.holdout.as_dict("holdout_"),
                "cv_rmse": result.cv_rmse,
                "cv_rmse_std": result.cv_rmse_std,
                "fit_seconds": result.fit_seconds,
                "predict_seconds": result.predict_seconds,
            }
        )
        for number, fold in enumerate(result.folds, start=1):
            mlflow.log_metrics(fold.metrics.as_dict("cv_fold_"), step=number)
        with expected_warnings_silenced():
            info = mlflow.sklearn.log_model(
                result.model,
                name=MODEL_ARTIFACT,
                serialization_format=SERIALIZATION_FORMAT,
                signature=infer_signature(example, result.model.predict(example)),
                input_example=example,
                pip_requirements=candidate.pip_requirements(),
            )
        title = f"{result.name} on the holdout period ({data.period_spans[-1]})"
        mlflow.log_figure(
            residual_figure(data.target(data.holdout), predicted, title, spec.target.unit),
            "residuals.png",
        )
        mlflow.log_text(importances.to_csv(index=False), "feature_importances.csv")
    return LoggedCandidate(result.name, run.info.run_id, info.model_id, info.model_uri)


def log_onnx(run_id: str, model: bytes, settings: Settings | None = None) -> str:
    """Log a serialized ONNX model in run ``run_id`` as ``onnx/model.onnx``; return its URI.

    The run is the candidate's own (already finished): the ONNX twin lives beside the pipeline
    it was made from, and the URI (``runs:/<run_id>/onnx/model.onnx``) downloads it.
    """
    client = mlflow_client(settings or get_settings())
    with tempfile.TemporaryDirectory(prefix="onnx-") as folder:
        path = Path(folder) / ONNX_FILE
        path.write_bytes(model)
        client.log_artifact(run_id, str(path), artifact_path=ONNX_ARTIFACT_DIR)
    return f"runs:/{run_id}/{ONNX_ARTIFACT_DIR}/{ONNX_FILE}"


def finish_selection(
    selection: SelectionRun,
    tags: dict[str, str],
    settings: Settings | None = None,
    failed: bool = False,
) -> None:
    """Record the outcome on the parent run and close it."""
    from mlflow.entities import RunTag

    client = mlflow_client(settings or get_settings())
    client.log_batch(selection.run_id, tags=[RunTag(k, v) for k, v in tags.items()])
    client.set_terminated(selection.run_id, status="FAILED" if failed else "FINISHED")
