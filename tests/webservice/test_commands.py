"""`paris-housing serve` and `paris-housing predict --example`, as a user runs them."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from paris_housing.settings import get_settings
from tests.servers import VENV_BIN, Server, free_port
from webservice.client import example


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VENV_BIN / "paris-housing"), *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def service(registry, tmp_path) -> Iterator[str]:  # pylint: disable=unused-argument
    """`paris-housing serve` on a free port, on the test's registry (which ``registry`` sets)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{url}/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    server = Server(
        "service",
        [str(VENV_BIN / "paris-housing"), "serve", "--port", str(port)],
        tmp_path / "service.log",
    )
    server.start(ready, timeout=120)
    yield url
    server.stop()


@pytest.mark.integration
def test_predict_example_prints_the_estimate_and_the_true_price(service, spec):
    result = run_cli("predict", "--example", "--url", service)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Home 1 of the shipped dataset" in out and "squareMeters=75523" in out
    estimate = int(re.search(r"estimate ([\d,]+) EUR", out).group(1).replace(",", ""))
    truth = int(re.search(r"true price ([\d,]+) EUR", out).group(1).replace(",", ""))
    assert truth == round(example(spec, get_settings()).price)
    assert abs(estimate - truth) / truth < 0.01
    assert "paris-housing-kaggle version 1" in out
    assert re.search(r"request id [0-9a-f]{32}", out)


def test_predict_says_when_the_service_is_not_running():
    result = run_cli("predict", "--example", "--url", f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 1
    assert "cannot reach the service at" in result.stderr
    assert "paris-housing serve" in result.stderr


def test_predict_needs_to_be_told_which_home():
    result = run_cli("predict")
    assert result.returncode == 1
    assert "--example" in result.stderr
