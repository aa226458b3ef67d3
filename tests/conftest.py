"""Fixtures shared by all tests: settings isolated in a temporary folder, the spec, CSV files."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from paris_housing.datasets import KAGGLE, DatasetSpec
from paris_housing.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_CSV = ROOT / "data" / "raw" / KAGGLE.source.file_name

os.environ["COLUMNS"] = "200"  # rich wraps command output at 80 columns when not on a terminal
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "1")


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Every test gets its own .local folder and bucket; nothing leaks from the user's .env."""
    for name in list(os.environ):
        if name.startswith("PARIS_HOUSING_") or name in {
            "AWS_ENDPOINT_URL_S3",
            "AWS_ENDPOINT_URL",
            "KAGGLE_USERNAME",
            "KAGGLE_KEY",
            "MONGODB_URI",
            "FLASK_SECRET_KEY",
        }:
            monkeypatch.delenv(name)
    monkeypatch.setenv("PARIS_HOUSING_LOCAL_DIR", str(tmp_path / ".local"))
    monkeypatch.setenv("PARIS_HOUSING_BUCKET", str(tmp_path / ".local" / "bucket"))
    monkeypatch.setenv("PARIS_HOUSING_SHIPPED_DATA_DIR", str(SHIPPED_CSV.parent))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / '.local' / 'mlflow.db'}")
    monkeypatch.setenv("PARIS_HOUSING_MLFLOW_ARTIFACTS_DIR", str(tmp_path / ".local" / "mlruns"))
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "no-kaggle"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def spec() -> DatasetSpec:
    """The seed dataset's spec."""
    return KAGGLE


@pytest.fixture(scope="session")
def shipped_text() -> pd.DataFrame:
    """The shipped CSV as text, exactly as a user's file would be read."""
    return pd.read_csv(SHIPPED_CSV, dtype=str, keep_default_na=False)


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write a frame (or raw text) as a CSV file and return its path."""

    def write(content: pd.DataFrame | str | bytes, name: str = "input.csv") -> Path:
        path = tmp_path / name
        if isinstance(content, pd.DataFrame):
            content.to_csv(path, index=False)
        elif isinstance(content, str):
            path.write_text(content)
        else:
            path.write_bytes(content)
        return path

    return write


@pytest.fixture
def stopped_s3(monkeypatch: pytest.MonkeyPatch) -> str:
    """The project pointed at an S3 endpoint where no server runs; returns the endpoint."""
    from tests.servers import free_port

    endpoint = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    get_settings.cache_clear()
    return endpoint
