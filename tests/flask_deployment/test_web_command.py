"""``paris-housing web`` refuses to start, with one sentence, when it cannot start safely."""

from __future__ import annotations

import socket

import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from paris_housing.settings import get_settings
from tests.servers import free_port

runner = CliRunner()


@pytest.fixture(autouse=True)
def free_ports(monkeypatch):
    """Never the default ports, even if the command went further than it should."""
    monkeypatch.setenv("PARIS_HOUSING_WEB_PORT", str(free_port()))
    monkeypatch.setenv("PARIS_HOUSING_MONGODB_EMBEDDED_PORT", str(free_port()))
    get_settings.cache_clear()


def test_a_short_secret_key_stops_the_command(monkeypatch):
    monkeypatch.setenv("FLASK_SECRET_KEY", "too-short")
    get_settings.cache_clear()
    result = runner.invoke(app, ["web"])
    assert result.exit_code == 1
    assert "the secret key is 9 characters long, too short" in " ".join(result.output.split())
    assert "Traceback" not in result.output


@pytest.mark.integration
def test_a_port_taken_by_something_else_stops_the_command(monkeypatch):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setenv("PARIS_HOUSING_MONGODB_EMBEDDED_PORT", str(taken.getsockname()[1]))
        get_settings.cache_clear()
        result = runner.invoke(app, ["web"])
    output = " ".join(result.output.split())
    assert result.exit_code == 1, output
    assert "nx-27017 exited with status" in output and "is port" in output
    assert "set PARIS_HOUSING_MONGODB_EMBEDDED_PORT or MONGODB_URI" in output
