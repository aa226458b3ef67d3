"""What `paris-housing serve` prepares before uvicorn starts its workers."""

from __future__ import annotations

import os

from orchestration.commands.serve import MULTIPROCESS_ENV, log_config, prepare_metrics_folder
from paris_housing.settings import get_settings


def test_several_workers_share_a_metrics_folder_emptied_of_old_metrics(tmp_path, monkeypatch):
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_123.db").write_bytes(b"old")
    (folder / "notes.txt").write_text("not ours")
    monkeypatch.setenv(MULTIPROCESS_ENV, str(folder))
    get_settings.cache_clear()
    prepare_metrics_folder(get_settings(), workers=2)
    assert os.environ[MULTIPROCESS_ENV] == str(folder.resolve())
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def unset(monkeypatch) -> None:
    """Unset the variable; whatever the code sets is undone after the test."""
    monkeypatch.setenv(MULTIPROCESS_ENV, "recorded")
    monkeypatch.delenv(MULTIPROCESS_ENV)


def test_one_worker_needs_no_metrics_folder(monkeypatch):
    unset(monkeypatch)
    prepare_metrics_folder(get_settings(), workers=1)
    assert MULTIPROCESS_ENV not in os.environ


def test_the_default_folder_is_under_the_local_folder(monkeypatch):
    unset(monkeypatch)
    prepare_metrics_folder(get_settings(), workers=3)
    assert os.environ[MULTIPROCESS_ENV] == str(get_settings().local_path("prometheus").resolve())


def test_the_service_logs_through_uvicorn_s_handlers():
    config = log_config()
    assert config["loggers"]["webservice"]["handlers"] == ["default"]
    assert config["loggers"]["webservice"]["level"] == "INFO"
