"""Deployments on a real Prefect server on loopback, triggered with `prefect deployment run`."""

from __future__ import annotations

import os
import subprocess

import httpx
import pytest

from paris_housing.datasets import KAGGLE
from paris_housing.registry import CHAMPION, alias_version, mlflow_client
from tests.servers import VENV_BIN, Server, free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def prefect_server(tmp_path, monkeypatch):
    """`prefect server start` on a free loopback port; PREFECT_API_URL points at it."""
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        "PREFECT_HOME": str(tmp_path / "prefect-server"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    (tmp_path / "prefect-server").mkdir()
    server = Server(
        "prefect",
        [
            str(VENV_BIN / "prefect"),
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-ui",
        ],
        tmp_path / "prefect.log",
        env=env,
    ).start(lambda: _healthy(api), timeout=180)
    monkeypatch.setenv("PREFECT_API_URL", api)
    yield api
    server.stop()


@pytest.mark.usefixtures("prefect_server")
def test_served_deployment_runs_to_completion_from_the_cli(tmp_path):
    deploy = Server(
        "deploy",
        [str(VENV_BIN / "paris-housing"), "deploy", "--no-schedules"],
        tmp_path / "deploy.log",
        env={"PREFECT_HOME": str(tmp_path / "prefect-client")},
    )
    prefect = str(VENV_BIN / "prefect")
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-client")}

    def deployed() -> bool:
        return (
            subprocess.run(
                [prefect, "deployment", "inspect", "paris-housing-training/weekly-retraining"],
                env=env,
                capture_output=True,
                check=False,
                timeout=60,
            ).returncode
            == 0
        )

    deploy.start(deployed, timeout=240)
    try:
        run = subprocess.run(
            [
                prefect,
                "deployment",
                "run",
                "paris-housing-training/weekly-retraining",
                "--params",
                '{"source": "shipped", "candidates": ["linear", "ridge"]}',
                "--watch",
                "--watch-timeout",
                "600",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=660,
        )
        assert run.returncode == 0, run.stdout + run.stderr + deploy.tail()
        assert "Completed" in run.stdout
    finally:
        deploy.stop()

    champion = alias_version(mlflow_client(), KAGGLE.registered_model_name, CHAMPION)
    assert champion is not None and str(champion.version) == "1"
    assert champion.tags["candidate"] == "linear"
