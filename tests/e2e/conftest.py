"""The whole chain for the browser tests: MongoDB-wire server, prediction service, form, browser.

The prediction service is the real one: ``paris-housing serve`` on the champion that model
selection registered in a temporary MLflow registry (see benchmarks/champions.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT
from tests.flask_deployment.web_servers import start_mongo, start_web, web_env
from tests.servers import VENV_BIN, Server, free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = ROOT / "test-artifacts"


@dataclass
class PredictionService:
    """The service the form talks to, and what it should answer."""

    url: str
    model_version: str
    expected_price: Callable[[dict[str, int]], float]


def _start_real_service(workdir: Path) -> tuple[PredictionService, Server]:
    import pandas as pd

    from benchmarks.champions import train_registry
    from paris_housing.datasets import KAGGLE

    trained = train_registry(workdir / "registry", [["linear"]])
    (version,) = trained.versions
    pipeline = trained.results[0].candidates[0].model
    port = free_port()
    env = {
        "MLFLOW_TRACKING_URI": trained.tracking_uri,
        "PARIS_HOUSING_LOCAL_DIR": str(workdir / "service-local"),
        "PARIS_HOUSING_BUCKET": str(workdir / "service-local" / "bucket"),
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }
    server = Server(
        "prediction service",
        [str(VENV_BIN / "paris-housing"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        workdir / "service.log",
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    server.start(lambda: _ready(url), timeout=180)

    def expected(inputs: dict[str, int]) -> float:
        frame = pd.DataFrame([inputs])[KAGGLE.feature_names]
        return float(pipeline.predict(frame)[0])

    return PredictionService(url, version, expected), server


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def prediction_service(tmp_path_factory) -> Iterator[PredictionService]:
    """The real prediction service, as a process, serving a registered champion."""
    service, server = _start_real_service(tmp_path_factory.mktemp("service"))
    yield service
    server.stop()


@dataclass
class Stack:
    """The running form and where its submissions go."""

    url: str
    mongo_uri: str
    service: PredictionService


@pytest.fixture(scope="module")
def stack(tmp_path_factory, prediction_service) -> Iterator[Stack]:
    """MongoDB-wire server + the form under gunicorn, pointed at the prediction service."""
    workdir = tmp_path_factory.mktemp("web")
    mongo = start_mongo(workdir / "mongo")
    env = web_env(mongo.uri, prediction_service.url, workdir / ".local")
    web, url = start_web(workdir, env)
    yield Stack(url, mongo.uri, prediction_service)
    web.stop()
    mongo.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Debian's headless chromium driven by Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.fail("chromium is missing: `make test` installs it (make system-deps)")
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots go (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
