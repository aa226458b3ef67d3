"""Flows run under Prefect's test harness: a temporary API server for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orchestration.prefect_env import apply_prefect_defaults

apply_prefect_defaults()  # before prefect is first imported


@pytest.fixture(scope="session", autouse=True)
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect API for every flow test (starting one takes seconds)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch, isolated_settings) -> None:
    """Retries without waiting, so that failure tests take a second, not a minute."""
    from paris_housing.settings import get_settings

    monkeypatch.setenv("PARIS_HOUSING_TASK_RETRIES", "2")
    monkeypatch.setenv("PARIS_HOUSING_TASK_RETRY_DELAY_SECONDS", "0")
    monkeypatch.setenv("PARIS_HOUSING_S3_MAX_ATTEMPTS", "1")
    get_settings.cache_clear()
    assert isolated_settings is not None
