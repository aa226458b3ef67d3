"""``paris-housing serve``: the prediction service on uvicorn."""

from __future__ import annotations

import copy
import os
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
    """With several workers, metrics go through files in a folder; the files of an earlier run
    are removed at start (as prometheus_client requires), nothing else in the folder."""
    if workers < 2:
        return
    folder = settings.prometheus_multiproc_dir or settings.local_path("prometheus")
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink(missing_ok=True)
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
