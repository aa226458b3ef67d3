"""Tracking overhead of `paris-housing train`: the whole selection against its bare fits.

In one run, on the shipped dataset (10,000 rows) ingested into a temporary bucket:

- bare: every candidate cross-validated and fitted (the same folds, seeds and final fits as the
  selection), with no MLflow at all;
- train: the whole `train()` (tracking check, reading, the same fits, logging of every run and
  model, registration and promotion) against a fresh local tracking store;
- again: a second `train()` on the same store (the champion now exists and is compared);
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

from benchmarks.report import Report

TARGET = 2.0
BARE_SCRIPT = (
    "from model_selection.data import load_training_data;"
    "from model_selection.evaluation import evaluate_candidates;"
    "evaluate_candidates(None, load_training_data())"
)


def _settings(root: Path):
    from data_ingestion.ingest import ingest
    from paris_housing.settings import Settings

    settings = Settings(
        local_dir=root / ".local",
        bucket=str(root / "bucket"),
        shipped_data_dir=Path("data/raw").resolve(),
        mlflow_tracking_uri=f"sqlite:///{root / '.local' / 'mlflow.db'}",
        mlflow_artifacts_dir=root / ".local" / "mlartifacts",
    )
    ingest(source="shipped", settings=settings)
    return settings


def _timed(report: Report, name: str, work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return report.figure(name, time.perf_counter() - start, "s")


def _in_process(report: Report, root: Path) -> tuple[float, float, float]:
    """Bare fits, a first train on a fresh store and a second one, in this process."""
    from model_selection.data import load_training_data
    from model_selection.evaluation import evaluate_candidates
    from model_selection.train import train

    settings = _settings(root)
    data = load_training_data(settings=settings)
    bare = _timed(
        report,
        "training: bare fits (all candidates, CV + final)",
        lambda: evaluate_candidates(None, data),
    )
    results = []
    first = _timed(
        report,
        "training: whole train(), fresh tracking store",
        lambda: results.append(train(settings=settings)),
    )
    again = _timed(report, "training: whole train(), second run", lambda: train(settings=settings))
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
    bare = _timed(
        report,
        "training: bare fits in a fresh interpreter",
        lambda: subprocess.run([sys.executable, "-c", BARE_SCRIPT], env=env, check=True),
    )
    whole = _timed(
        report,
        "training: `paris-housing train` (process)",
        lambda: subprocess.run(command, env=env, check=True, capture_output=True),
    )
    return bare, whole


def run(report: Report) -> None:
    """Time the bare fits, the in-process train twice, and the command; report the ratios."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    with tempfile.TemporaryDirectory(prefix="bench-training-") as tmp:
        bare, first, again = _in_process(report, Path(tmp) / "in-process")
        bare_process, command = _as_processes(report, Path(tmp) / "processes")
    report.ratio("training: whole train / bare fits", first / bare, TARGET, at_most=True)
    report.ratio("training: second train / bare fits", again / bare)
    report.ratio("training: command / bare fits, both with start-up", command / bare_process)
