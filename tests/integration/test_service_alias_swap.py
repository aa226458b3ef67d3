"""The service as a process (2 workers) against a real `mlflow server`: the champion alias moves
while requests keep coming; none fails and the new version is served within the interval."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from benchmarks.champions import train_registry
from paris_housing.settings import get_settings

# the fixture `mlflow_server`: `mlflow server` on loopback
from tests.integration.test_mlflow_server import mlflow_server  # pylint: disable=unused-import
from tests.servers import VENV_BIN, Server, free_port
from tests.webservice import registry_fixtures as fixtures
from webservice.client import example

pytestmark = [pytest.mark.integration, pytest.mark.slow]

POLL_SECONDS = 1.0
WORKERS = 2


@dataclass
class Service:
    """The service process and its URL."""

    url: str
    server: Server


@pytest.fixture
def served(
    mlflow_server, tmp_path, spec
) -> Iterator[tuple[Service, fixtures.Registry]]:  # noqa: F811
    """The service on the server's registry, where model selection made version 1 (linear) the
    champion and version 2 (ridge) the challenger."""
    trained = train_registry(
        tmp_path / "registry", [["linear"], ["ridge"]], tracking_uri=mlflow_server.uri
    )
    assert trained.versions == ["1", "2"]
    registry = fixtures.Registry(mlflow_server.uri, mlflow_server.artifacts, spec)
    assert registry.client().get_model_version_by_alias(registry.name, "champion").version == "1"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = Server(
        "service",
        [str(VENV_BIN / "paris-housing"), "serve", "--port", str(port), "--workers", str(WORKERS)],
        tmp_path / "service.log",
        env={
            "MLFLOW_TRACKING_URI": mlflow_server.uri,
            "PARIS_HOUSING_MODEL_POLL_SECONDS": str(POLL_SECONDS),
            "PARIS_HOUSING_LOCAL_DIR": str(tmp_path / "local"),
            "PARIS_HOUSING_BUCKET": str(tmp_path / "bucket"),
        },
        cwd=tmp_path,
    )
    server.start(lambda: _ready(url), timeout=180)
    yield Service(url, server), registry
    server.stop()


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_moving_the_alias_fails_no_request_and_serves_the_new_version_in_time(served, spec):
    service, registry = served
    home = example(spec, get_settings()).home
    answers: list[tuple[float, int, str | None]] = []
    stop = threading.Event()

    def send() -> None:
        with httpx.Client(base_url=service.url, timeout=10) as client:
            while not stop.is_set():
                response = client.post("/predict", json=home)
                version = response.json().get("model_version") if response.is_success else None
                answers.append((time.monotonic(), response.status_code, version))

    senders = [threading.Thread(target=send) for _ in range(4)]
    for sender in senders:
        sender.start()
    try:
        time.sleep(1.5)
        moved_at = time.monotonic()
        registry.set_alias("2")
        time.sleep(POLL_SECONDS * 3 + 8)
    finally:
        stop.set()
        for sender in senders:
            sender.join()

    assert len(answers) > 200
    failures = [a for a in answers if a[1] != 200]
    assert not failures, f"{len(failures)} requests failed, e.g. {failures[:3]}"
    assert {version for at, _, version in answers if at < moved_at} == {"1"}
    first_new = min(at for at, _, version in answers if version == "2")
    last_old = max(at for at, _, version in answers if version == "1")
    load_seconds = httpx.get(f"{service.url}/model").json()["load_seconds"]
    allowed = POLL_SECONDS + load_seconds + 1.0  # a poll, the load, and scheduling slack
    print(
        f"{len(answers)} requests, none failed; first answer of version 2 "
        f"{first_new - moved_at:.2f} s after the move, last of version 1 "
        f"{last_old - moved_at:.2f} s after (allowed {allowed:.2f} s: poll {POLL_SECONDS} s + "
        f"load {load_seconds:.2f} s + 1 s)"
    )
    assert first_new - moved_at <= allowed, (first_new - moved_at, allowed)
    assert last_old - moved_at <= allowed, "a worker kept the old version too long"
    # after the swap every worker answers with the new version
    with httpx.Client(base_url=service.url) as client:
        versions = {client.post("/predict", json=home).json()["model_version"] for _ in range(40)}
    assert versions == {"2"}
    metrics = httpx.get(f"{service.url}/metrics").text
    info = 'paris_housing_model_info{alias="champion",name="paris-housing-kaggle",'
    assert f'{info}predictor="onnx",version="2"}} 1.0' in metrics  # summed over both workers
    assert f'{info}predictor="onnx",version="1"}} 0.0' in metrics
    assert_announced(service.server, ("1", "2"))


def assert_announced(server: Server, versions: tuple[str, ...]) -> None:
    """Each worker announced each version it served (at INFO, which `serve` shows)."""
    log = server.log.read_text(encoding="utf-8")
    for version in versions:
        announced = f"INFO:     serving paris-housing-kaggle version {version} (onnx predictor"
        assert log.count(announced) == WORKERS, log[-3000:]
