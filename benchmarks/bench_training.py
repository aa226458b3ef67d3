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
from pathlib import Path

from benchmarks.report import Report

TARGET = 2.0
BARE_SCRIPT = (
    "from model_selection.data import load_training_data;"
    "from model_selection.evaluation import evaluate_candidates;"
    "evaluate_candidates(None, load_training_data())"
)


def _settings(root: Path):
    from paris_housing.settings import Settings

    return Settings(
        local_dir=root / ".local",
        bucket=str(root / "bucket"),
        shipped_data_dir=Path("data/raw").resolve(),
        mlflow_tracking_uri=f"sqlite:///{root / '.local' / 'mlflow.db'}",
        mlflow_artifacts_dir=root / ".local" / "mlartifacts",
    )


def run(report: Report) -> None:
    """Time the bare fits, the in-process train twice, and the command; report the ratios."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from data_ingestion.ingest import ingest
    from model_selection.data import load_training_data
    from model_selection.evaluation import evaluate_candidates
    from model_selection.train import train

    with tempfile.TemporaryDirectory(prefix="bench-training-") as tmp:
        root = Path(tmp)
        settings = _settings(root)
        ingest(source="shipped", settings=settings)
        data = load_training_data(settings=settings)

        start = time.perf_counter()
        results = evaluate_candidates(None, data)
        bare = report.figure("training: bare fits (all candidates, CV + final)", _since(start), "s")

        start = time.perf_counter()
        first = train(settings=settings)
        whole = report.figure("training: whole train(), fresh tracking store", _since(start), "s")
        start = time.perf_counter()
        train(settings=settings)
        again = report.figure("training: whole train(), second run", _since(start), "s")

        cli_settings = _settings(root / "cli")
        ingest(source="shipped", settings=cli_settings)
        env = {
            **os.environ,
            "PARIS_HOUSING_LOCAL_DIR": str(cli_settings.local_dir),
            "PARIS_HOUSING_BUCKET": cli_settings.bucket,
            "MLFLOW_TRACKING_URI": cli_settings.mlflow_tracking_uri,
            "PARIS_HOUSING_MLFLOW_ARTIFACTS_DIR": str(cli_settings.mlflow_artifacts_dir),
        }
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", BARE_SCRIPT], env=env, check=True)
        bare_process = report.figure(
            "training: bare fits in a fresh interpreter", _since(start), "s"
        )
        cli = Path(sys.executable).with_name("paris-housing")
        start = time.perf_counter()
        subprocess.run([str(cli), "train"], env=env, check=True, capture_output=True)
        command = report.figure("training: `paris-housing train` (process)", _since(start), "s")

    for result in first.candidates:
        report.figure(f"training: {result.name} holdout RMSE", result.holdout.rmse, "EUR")
    report.figure(
        "training: bare fits, of which the random forest",
        sum(f.fit_seconds for r in results for f in r.folds if r.name == "random_forest"),
        "s",
    )
    report.ratio("training: whole train / bare fits", whole / bare, TARGET, at_most=True)
    report.ratio("training: second train / bare fits", again / bare)
    report.ratio("training: command / bare fits, both with start-up", command / bare_process)


def _since(start: float) -> float:
    return time.perf_counter() - start
