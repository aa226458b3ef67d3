"""The model in service follows the registry's alias; failures never take it out of service."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np
import pytest

from paris_housing.settings import get_settings
from tests.servers import free_port
from webservice.lifecycle import ModelManager
from webservice.model_source import RegistrySource


class Events:
    """The manager's events, recorded."""

    def __init__(self) -> None:
        self.swaps: list[tuple[str | None, str]] = []
        self.load_failures = self.registry_failures = 0

    def swapped(self, old, new) -> None:
        self.swaps.append((old.version if old else None, new.version))

    def load_failed(self) -> None:
        self.load_failures += 1

    def registry_failed(self) -> None:
        self.registry_failures += 1


class CountingSource(RegistrySource):
    """The real source, counting the loads it is asked for."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.loads: list[str] = []

    def load(self, version: str):
        self.loads.append(version)
        return super().load(version)


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def manager_for(spec, events=None, clock=None) -> tuple[ModelManager, CountingSource]:
    source = CountingSource(get_settings(), spec)
    return ModelManager(source, 0.1, 60.0, events, **({"clock": clock} if clock else {})), source


@pytest.mark.usefixtures("registry")
def test_the_champion_is_loaded_and_described(spec, linear, data, trained, caplog):
    events = Events()
    manager, _ = manager_for(spec, events)
    with caplog.at_level(logging.INFO, logger="webservice"):
        assert manager.check() is True
    model = manager.model
    assert (model.name, model.version, model.alias) == ("paris-housing-kaggle", "1", "champion")
    assert model.predictor.kind == "onnx" and events.swaps == [(None, "1")]
    assert model.tags["candidate"] == "linear"
    assert model.tags["dataset_version"] == trained.results[0].dataset_version
    assert model.metrics["rmse"] == pytest.approx(fixtures_rmse(linear, data))
    assert model.run_id and model.load_seconds > 0
    description = model.description()
    assert description["dataset"] == "kaggle" and description["predictor"] == "onnx"
    (announced,) = [r for r in caplog.records if r.getMessage().startswith("serving ")]
    assert announced.levelno == logging.INFO
    assert announced.getMessage().startswith(
        "serving paris-housing-kaggle version 1 (onnx predictor, loaded in"
    )
    assert manager.check() is False  # same version: nothing to do


def fixtures_rmse(pipeline, data) -> float:
    error = pipeline.predict(data.x_holdout) - data.y_holdout.to_numpy()
    return float(np.sqrt(np.mean(error**2)))


def test_moving_the_alias_swaps_in_the_new_version(registry, spec):
    events = Events()
    manager, _ = manager_for(spec, events)
    manager.check()
    first = manager.model
    registry.set_alias("2")
    assert manager.check() is True
    assert manager.model.version == "2" and manager.model.tags["candidate"] == "ridge"
    assert first.version == "1"  # requests holding the old model keep a whole model
    assert events.swaps == [(None, "1"), ("1", "2")]


def test_without_a_champion_the_reason_says_what_to_do(registry, spec):
    registry.delete_alias()
    manager, _ = manager_for(spec)
    assert manager.check() is False
    assert manager.model is None
    assert "no version of the model 'paris-housing-kaggle' has the alias 'champion'" in (
        manager.reason
    )
    assert "paris-housing train" in manager.reason


def test_an_alias_removed_later_leaves_the_last_champion_serving(registry, spec):
    manager, _ = manager_for(spec)
    manager.check()
    registry.delete_alias()
    assert manager.check() is False
    assert manager.model.version == "1"


def test_a_version_that_cannot_load_leaves_the_current_one_serving(registry, spec):
    client = registry.client()
    broken = str(
        client.create_model_version(
            registry.name, source=(Path(registry.artifacts) / "no-such-model").as_uri()
        ).version
    )
    events, clock = Events(), Clock()
    manager, source = manager_for(spec, events, clock)
    manager.check()
    registry.set_alias(broken)
    assert manager.check() is False
    assert manager.model.version == "1" and events.load_failures == 1
    manager.check()
    assert source.loads == ["1", broken]  # not retried before model_retry_seconds
    clock.now = 61.0
    manager.check()
    assert source.loads == ["1", broken, broken] and events.load_failures == 2


def test_a_first_load_failure_is_the_reason_for_not_being_ready(registry, spec):
    broken = str(
        registry.client()
        .create_model_version(registry.name, source=(Path(registry.artifacts) / "gone").as_uri())
        .version
    )
    registry.set_alias(broken)
    manager, _ = manager_for(spec)
    manager.check()
    assert manager.model is None
    assert manager.reason.startswith(f"cannot load version {broken} of 'paris-housing-kaggle'")


def test_a_missing_database_is_reported_and_not_created(spec, tmp_path, monkeypatch):
    database = tmp_path / "nothing-here" / "mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{database}")
    get_settings.cache_clear()
    manager, _ = manager_for(spec)
    assert manager.check() is False
    assert "no MLflow database at" in manager.reason and "paris-housing train" in manager.reason
    assert not database.exists()


@pytest.mark.usefixtures("registry")
def test_an_unreachable_registry_keeps_the_current_model_and_says_so(spec, monkeypatch):
    events = Events()
    manager, _ = manager_for(spec, events)
    manager.check()
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "3")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{free_port()}")
    get_settings.cache_clear()
    manager.source = RegistrySource(get_settings(), spec)
    assert manager.check() is False
    assert manager.model.version == "1"
    assert manager.registry_error.startswith("cannot check the alias in http://127.0.0.1:")
    assert events.registry_failures == 1


def test_requests_during_swaps_always_get_a_whole_model(registry, spec, linear, ridge, data):
    manager, _ = manager_for(spec)
    manager.check()
    row = tuple(data.x_holdout.iloc[0])
    expected = {
        "1": float(linear.predict(data.x_holdout.iloc[[0]])[0]),
        "2": float(ridge.predict(data.x_holdout.iloc[[0]])[0]),
    }
    seen: list[tuple[str, float]] = []
    stop = threading.Event()

    def requests() -> None:
        while not stop.is_set():
            model = manager.model  # what a request does: read once, use to the end
            seen.append((model.version, model.predictor.predict_one(row)))

    reader = threading.Thread(target=requests)
    reader.start()
    try:
        for version in ("2", "1", "2"):
            registry.set_alias(version)
            assert manager.check() is True
    finally:
        stop.set()
        reader.join()
    assert {version for version, _ in seen} == {"1", "2"}
    # the two versions' prices differ by far more than the ONNX models' error (at most 1e-5)
    assert abs(expected["1"] - expected["2"]) / expected["1"] > 1e-4
    for version, price in seen:
        assert price == pytest.approx(expected[version], rel=1e-5)
