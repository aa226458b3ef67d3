"""``paris-housing up``: the prediction service and the web form together, until Ctrl-C.

Each runs as its own process (the same commands as ``serve`` and ``web``); if one stops, the
other is stopped too and the command exits with its status.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import httpx

from orchestration.console import console, fail
from paris_housing.settings import get_settings


def _wait_ready(url: str, process: subprocess.Popen, name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise fail(f"the {name} stopped at start-up (exit status {process.returncode})")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise fail(f"the {name} did not answer at {url} within {timeout:.0f} s")


def run_up(timeout: float = 120) -> None:
    """Start the API, then the web form; print where they are; stop both on Ctrl-C."""
    settings = get_settings()
    command = [sys.executable, "-m", "orchestration.cli"]
    api_url = f"http://{settings.api_host}:{settings.api_port}"
    web_url = f"http://{settings.web_host}:{settings.web_port}"
    processes: list[subprocess.Popen] = []
    try:
        api = subprocess.Popen([*command, "serve"])  # pylint: disable=consider-using-with
        processes.append(api)
        _wait_ready(f"{api_url}/health", api, "prediction service", timeout)
        web = subprocess.Popen([*command, "web"])  # pylint: disable=consider-using-with
        processes.append(web)
        _wait_ready(web_url, web, "web form", timeout)
        console.print(
            f"[bold green]Ready.[/] Web form: {web_url}   API: {api_url}/docs   "
            f"metrics: {api_url}/metrics   (Ctrl-C stops both)"
        )
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        stopped = next(p for p in processes if p.poll() is not None)
        raise fail(f"a service stopped (exit status {stopped.returncode}); stopping the other")
    except KeyboardInterrupt:
        console.print("stopping…")
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in reversed(processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
