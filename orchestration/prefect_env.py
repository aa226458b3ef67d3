"""Prefect's offline switches, set before prefect is first imported.

Analytics off, no tracking, a start-up timeout that a 2-core laptop meets for the ephemeral API,
and Prefect's home under the project's local folder. A variable the user set wins.
"""

from __future__ import annotations

import os
from pathlib import Path

from paris_housing.settings import get_settings

DEFAULTS = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    "PREFECT_LOGGING_LOG_PRINTS": "true",
}


def apply_prefect_defaults() -> None:
    """Set Prefect's environment defaults (call before ``import prefect``)."""
    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)
    home = Path(
        os.environ.setdefault("PREFECT_HOME", str(get_settings().local_path("prefect").absolute()))
    )
    home.mkdir(parents=True, exist_ok=True)  # Prefect creates only the last folder
