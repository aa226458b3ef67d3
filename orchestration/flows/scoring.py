"""The batch-scoring flow: score a period (or a parquet object) of the bucket with the champion,
in chunks mapped as tasks, and write the predictions with the model version back to the bucket."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from prefect import flow, get_run_logger, unmapped
from prefect.artifacts import create_markdown_artifact

from orchestration.flows.tasks import as_task, with_retries
from paris_housing.catalog import read_manifest, read_period
from paris_housing.datasets import DatasetSpec, get_spec
from paris_housing.datasets.arrays import InvalidRows, frame_rows
from paris_housing.metrics import regression_metrics
from paris_housing.settings import Settings, get_settings
from paris_housing.storage import open_bucket
from webservice.model_source import RegistrySource
from webservice.served import ServedModel

FLOW_NAME = "paris-housing-scoring"
PREDICTION = "predicted_price"


class ScoringError(ValueError):
    """The input cannot be scored (no champion, unknown period, missing or invalid columns)."""


@dataclass(frozen=True)
class ScoringOutcome:
    """Where the predictions went and what scored them."""

    key: str
    rows: int
    model_name: str
    model_version: str
    rmse: float | None


def feature_matrix(frame: pd.DataFrame, spec: DatasetSpec, where: str) -> np.ndarray:
    """The spec's features of ``frame`` as float64 rows the spec's rules accept, or one sentence
    naming the missing columns and the first bad values with their row (the checker's own)."""
    try:
        return frame_rows(spec, frame)
    except InvalidRows as exc:
        raise ScoringError(
            f"{where} cannot be scored: {exc}; validate it with `paris-housing ingest` first"
        ) from None


def chunks(rows: np.ndarray, size: int) -> list[np.ndarray]:
    """``rows`` cut into consecutive chunks of at most ``size`` rows."""
    return [rows[i : i + size] for i in range(0, len(rows), size)] or [rows]


def _resolve_champion(source: RegistrySource) -> str:
    version = source.resolve()
    if version is None:
        raise ScoringError(
            f"no model has the alias {source.alias!r} in {source.registry_uri}: "
            "run the training flow first"
        )
    return version


def _load(source: RegistrySource, version: str) -> ServedModel:
    return source.load(version)


def _score_chunk(model: ServedModel, rows: np.ndarray) -> np.ndarray:
    return model.score(rows)


def _read_input(
    spec: DatasetSpec, settings: Settings, period: int | None, key: str | None
) -> tuple[pd.DataFrame, str]:
    """The rows to score and the name of the output object (without the model version)."""
    bucket = open_bucket(settings=settings)
    if key:
        return pd.read_parquet(io.BytesIO(bucket.get(key))), key.rsplit("/", 1)[-1].split(".")[0]
    manifest = read_manifest(bucket, spec)
    number = period or manifest.periods[-1].period
    chosen = [p for p in manifest.periods if p.period == number]
    if not chosen:
        raise ScoringError(
            f"dataset {spec.name} version {manifest.version} has periods "
            f"1–{len(manifest.periods)}, not {number}"
        )
    return read_period(bucket, chosen[0]), f"{manifest.version}/period={number}"


def _write(settings: Settings, key: str, frame: pd.DataFrame) -> str:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    open_bucket(settings=settings).put(key, buffer.getvalue(), "application/vnd.apache.parquet")
    return key


resolve_task = as_task(_resolve_champion, "resolve-champion")
load_task = as_task(_load, "load-model")
read_task = as_task(_read_input, "read-input")
score_task = as_task(_score_chunk, "score-chunk")
write_task = as_task(_write, "write-predictions")


@flow(name=FLOW_NAME, log_prints=True)
def scoring_flow(
    period: int | None = None, key: str | None = None, dataset: str | None = None
) -> ScoringOutcome:
    """Score ``period`` of the latest dataset version (default: the newest period), or the
    parquet object ``key`` of the bucket, with the model the serving alias names."""
    logger = get_run_logger()
    settings = get_settings()
    spec = get_spec(dataset or settings.dataset)
    source = RegistrySource(settings, spec)
    version = with_retries(resolve_task, settings)(source)
    model = with_retries(load_task, settings)(source, version)
    frame, name = with_retries(read_task, settings)(spec, settings, period, key)
    rows = feature_matrix(frame, spec, key or name)
    futures = score_task.map(unmapped(model), chunks(rows, settings.scoring_chunk_rows))
    prices = np.concatenate([f.result() for f in futures])

    out = frame.copy()
    out[PREDICTION] = prices
    out["model_name"] = model.name
    out["model_version"] = model.version
    out["scored_at"] = datetime.now(UTC)
    target = spec.target.name
    rmse = regression_metrics(out[target], prices).rmse if target in out.columns else None
    out_key = f"predictions/{spec.name}/{name}/model-v{model.version}.parquet"
    with_retries(write_task, settings)(settings, out_key, out)
    summary = (
        f"Scored **{len(out):,}** rows of `{key or name}` with {model.name} version "
        f"{model.version} in {len(futures)} chunk(s); predictions in `{out_key}`"
        + (f"; RMSE against the known prices {rmse:,.0f} EUR." if rmse is not None else ".")
    )
    logger.info(summary.replace("**", "").replace("`", ""))
    create_markdown_artifact(summary, key=f"{spec.name}-scoring", description="Batch scoring")
    return ScoringOutcome(out_key, len(out), model.name, model.version, rmse)
