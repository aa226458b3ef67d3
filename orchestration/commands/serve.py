"""``paris-housing serve``: the prediction service on uvicorn."""

from __future__ import annotations

import copy
import os
import shutil
from typing import Any

from paris_housing.settings import Settings, get_settings

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def log_config() -> dict[str, Any]:
    """uvicorn's logging, plus the service's own loggers (in every worker process)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["webservice"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def prepare_metrics_folder(settings: Settings, workers: int) -> None:
    """With several workers, metrics go through files in a folder emptied at each start."""
    if workers < 2:
        return
    folder = settings.prometheus_multiproc_dir or settings.local_path("prometheus")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    os.environ[MULTIPROCESS_ENV] = str(folder.resolve())


def run_serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the API until interrupted."""
    import uvicorn

    settings = get_settings()
    workers = workers or settings.api_workers
    prepare_metrics_folder(settings, workers)
    uvicorn.run(
        "webservice.app:create_app",
        factory=True,
        host=host or settings.api_host,
        port=port or settings.api_port,
        workers=workers,
        log_config=log_config(),
        access_log=False,
        timeout_graceful_shutdown=10,
    )
