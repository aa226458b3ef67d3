"""Tracking overhead of `paris-housing train`: the whole selection against its bare fits.

In one run, on the shipped dataset (10,000 rows) ingested into a temporary bucket:

- bare: every candidate cross-validated and fitted (the same folds, seeds and final fits as the
  selection), with no MLflow at all;
- train: the whole `train_models()` (tracking check, reading, the same fits, logging of every
  run and model, registration and promotion) against a fresh local tracking store; bare and
  train are alternated three times and the fastest of each is kept, as others may share the machine;
- again: a second `train_models()` on the same store (the champion now exists and is compared);
- command: `paris-housing train` as a user runs it, interpreter start and imports included,
  against the bare fits run the same way (a fresh interpreter that imports and fits).

The ratio train / bare is held to at most 2.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from benchmarks.report import Report

T = TypeVar("T")
TARGET = 2.0
REPEATS = 3
BARE_SCRIPT = (
    "from model_selection.data import load_training_data;"
    "from model_selection.evaluation import evaluate_candidates;"
    "evaluate_candidates(None, load_training_data())"
)


def _settings(root: Path, bucket: Path | None = None):
    """Settings under ``root``; the shipped dataset ingested into ``bucket`` (default: its own)."""
    from orchestration.pipeline import ingest_dataset
    from paris_housing.settings import Settings

    settings = Settings(
        local_dir=root / ".local",
        bucket=str(bucket or root / "bucket"),
        shipped_data_dir=Path("data/raw").resolve(),
        mlflow_tracking_uri=f"sqlite:///{root / '.local' / 'mlflow.db'}",
        mlflow_artifacts_dir=root / ".local" / "mlartifacts",
    )
    ingest_dataset(source="shipped", settings=settings)
    return settings


def _timed(work: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[float, T]:
    """Seconds that ``work(*args, **kwargs)`` took, and what it returned."""
    start = time.perf_counter()
    value = work(*args, **kwargs)
    return time.perf_counter() - start, value


def _in_process(report: Report, root: Path) -> tuple[float, float, float]:
    """Bare fits and a first train on a fresh store, alternated REPEATS times (the fastest of
    each counts: the machine may be shared), then a second train on the last store."""
    from model_selection.data import load_training_data
    from model_selection.evaluation import evaluate_candidates
    from orchestration.pipeline import train_models

    bucket = root / "bucket"
    data = load_training_data(settings=_settings(root, bucket))
    stores = [_settings(root / f"store-{repeat}", bucket) for repeat in range(REPEATS)]
    bares, firsts, results = [], [], []
    for store in stores:
        bares.append(_timed(evaluate_candidates, None, data)[0])
        seconds, result = _timed(train_models, settings=store)
        firsts.append(seconds)
        results.append(result)
    again = _timed(train_models, settings=stores[-1])[0]
    bare = report.figure("training: bare fits (all candidates, CV + final)", min(bares), "s")
    first = report.figure("training: whole train_models(), fresh tracking store", min(firsts), "s")
    report.figure("training: whole train_models(), second run on a store", again, "s")
    for result in results[0].candidates:
        report.figure(f"training: {result.name} holdout RMSE", result.holdout.rmse, "EUR")
    return bare, first, again


def _as_processes(report: Report, root: Path) -> tuple[float, float]:
    """The bare fits and the command, each in a fresh interpreter."""
    settings = _settings(root)
    env = {
        **os.environ,
        "PARIS_HOUSING_LOCAL_DIR": str(settings.local_dir),
        "PARIS_HOUSING_BUCKET": settings.bucket,
        "MLFLOW_TRACKING_URI": settings.mlflow_tracking_uri,
        "PARIS_HOUSING_MLFLOW_ARTIFACTS_DIR": str(settings.mlflow_artifacts_dir),
    }
    command = [str(Path(sys.executable).with_name("paris-housing")), "train"]
    bare = _timed(subprocess.run, [sys.executable, "-c", BARE_SCRIPT], env=env, check=True)[0]
    whole = _timed(subprocess.run, command, env=env, check=True, capture_output=True)[0]
    return (
        report.figure("training: bare fits in a fresh interpreter", bare, "s"),
        report.figure("training: `paris-housing train` (process), fresh store", whole, "s"),
    )


def run(report: Report) -> None:
    """Time the bare fits, the in-process train twice, and the command; report the ratios."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    with tempfile.TemporaryDirectory(prefix="bench-training-") as tmp:
        bare, first, again = _in_process(report, Path(tmp) / "in-process")
        bare_process, command = _as_processes(report, Path(tmp) / "processes")
    report.ratio("training: whole train / bare fits", first / bare, TARGET, at_most=True)
    report.ratio("training: second train / bare fits", again / bare)
    report.ratio("training: command / bare fits, both with start-up", command / bare_process)
