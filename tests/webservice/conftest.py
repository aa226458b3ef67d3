"""Fixtures of the prediction service's tests: real pipelines, a real registry, the app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from paris_housing.datasets import DatasetSpec
from paris_housing.settings import get_settings
from tests.webservice import registry_fixtures as fixtures


@pytest.fixture(scope="session")
def data(spec: DatasetSpec) -> fixtures.Split:
    """The shipped dataset, earlier rows to fit, later rows held out."""
    return fixtures.split(spec, fixtures.shipped_frame(spec))


@pytest.fixture(scope="session")
def linear(data):
    """Scaler + least squares: the kind of model that wins on this dataset."""
    return fixtures.linear_pipeline(data)


@pytest.fixture(scope="session")
def ridge(data):
    """Scaler + ridge: a second, slightly different champion."""
    return fixtures.linear_pipeline(data, alpha=10.0)


@pytest.fixture(scope="session")
def base_registry(tmp_path_factory, spec, data, linear, ridge) -> fixtures.Registry:
    """Version 1 (linear) is the champion; version 2 (ridge) is registered without an alias."""
    registry = fixtures.create_registry(tmp_path_factory.mktemp("registry"), spec)
    fixtures.register(registry, linear, data, "linear", alias="champion")
    fixtures.register(registry, ridge, data, "ridge")
    return registry


@pytest.fixture
def registry(base_registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> fixtures.Registry:
    """This test's own copy of the registry, configured as the project's tracking URI."""
    copy = base_registry.copy(tmp_path / "registry")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", copy.tracking_uri)
    monkeypatch.setenv("PARIS_HOUSING_MODEL_POLL_SECONDS", "0.2")
    monkeypatch.setenv("PARIS_HOUSING_PREDICTION_LOG_FLUSH_SECONDS", "0.1")
    get_settings.cache_clear()
    return copy


@pytest.fixture
def home(spec) -> dict[str, int | float]:
    """The dataset's first home, as the API takes it."""
    from webservice.client import example

    return example(spec, get_settings()).home


@pytest.fixture
def client(registry) -> Iterator:  # pylint: disable=unused-argument
    """The app on the test's registry (which ``registry`` sets), started and stopped."""
    from fastapi.testclient import TestClient

    from webservice.app import create_app

    with TestClient(create_app(), raise_server_exceptions=False) as test_client:
        yield test_client
