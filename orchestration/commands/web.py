"""``paris-housing web``: the web form under gunicorn, as the Procfile runs it, on this machine.

With ``MONGODB_URI`` unset it first starts the embedded MongoDB-wire server (``nx-27017``) on
loopback, with its data under the local folder, and stops it when the form stops. Without a
secret key in the environment it uses one kept in a private file under the local folder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType

import httpx

from orchestration.console import console, err_console, user_errors

APP = "flask_deployment.app:create_app()"
SECRET_KEY_FILE = "web-secret-key"
MONGODB_DIR = "mongodb"


def gunicorn_command(host: str, port: int, workers: int) -> list[str]:
    """The gunicorn command line of the form (the Procfile's, bound to ``host:port``).

    gevent workers, so that slow clients cost a greenlet each and not a thread: with the sync
    threaded workers (2 x 4 threads), 50 connections trickling their headers or body one line a
    second timed out 2 of 5 ``/healthz`` probes (2 s each); with gevent every probe and the form's
    submission answered (tests/integration/test_web_slow_clients.py). gunicorn patches the
    standard library before the app is loaded, so the outbox drainer thread becomes a greenlet,
    and pymongo and httpx (plain sockets) yield while they wait; the outbox's SQLite calls do not
    yield, which is acceptable for its few short writes. uvicorn with ``a2wsgi`` was not chosen:
    it buffers slow headers but hands a trickled body to a thread of its pool, which blocks.
    """
    return [
        str(Path(sys.executable).parent / "gunicorn"),
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gevent",
        "--no-control-socket",
        "--access-logfile",
        "-",
        APP,
    ]


def run_web(host: str | None, port: int | None, workers: int) -> None:
    """Serve the form until Ctrl-C (or SIGTERM), then stop what this command started."""
    from flask_deployment.embedded_mongo import EmbeddedMongo, EmbeddedMongoError
    from flask_deployment.security import ConfigurationError, local_secret_key, secret_key
    from paris_housing.settings import get_settings

    settings = get_settings()
    host = host or settings.web_host
    port = port or settings.web_port
    env: dict[str, str] = {}
    if settings.web_secret_key is None:
        # one key for every worker: a throw-away key per worker would break CSRF across them
        env["PARIS_HOUSING_WEB_SECRET_KEY"] = local_secret_key(settings.local_path(SECRET_KEY_FILE))
    else:
        with user_errors(ConfigurationError):
            secret_key(settings)

    embedded: EmbeddedMongo | None = None
    if settings.mongodb_uri is None:
        embedded = EmbeddedMongo(settings.local_path(MONGODB_DIR), settings.mongodb_embedded_port)
        with user_errors(EmbeddedMongoError):
            embedded.start()
        store = f"embedded MongoDB-wire server at {embedded.uri} (data in {embedded.data_dir})"
    else:
        store = "MongoDB at MONGODB_URI"
    try:
        _warn_if_api_down(settings.api_url)
        console.print(
            f"[bold]Web form[/] on http://{host}:{port}  ·  submissions in {store}  ·  "
            f"estimates from {settings.api_url}  ·  Ctrl-C stops",
            highlight=False,
        )
        _serve(gunicorn_command(host, port, workers), env)
    finally:
        if embedded is not None:
            embedded.stop()


def run_web_bundle(out: Path) -> None:
    """Write the PaaS bundle and say how to deploy it."""
    from flask_deployment.bundle import write_bundle

    with user_errors(FileExistsError):
        top = write_bundle(out)
    console.print(f"Wrote {out}: {', '.join(top)}")
    console.print(
        f"Deploy it: cd {out} && git init -b main && git add -A && git commit -m web && "
        "heroku git:remote -a APP && git push heroku main  (see flask_deployment/README.md)",
        highlight=False,
    )


def _serve(command: list[str], env: dict[str, str]) -> None:
    """Run gunicorn in the foreground; SIGINT and SIGTERM stop it gracefully."""
    process = subprocess.Popen(  # pylint: disable=consider-using-with
        command, env={**os.environ, **env}
    )

    def forward(_signum: int, _frame: FrameType | None) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        process.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if process.poll() is None:
            process.terminate()
            process.wait(30)


def _warn_if_api_down(api_url: str) -> None:
    try:
        httpx.get(f"{api_url.rstrip('/')}/health", timeout=1.0)
    except httpx.HTTPError:
        err_console.print(
            f"[yellow]warning:[/] the prediction service at {api_url} does not answer: "
            "the form will keep submissions without an estimate until `paris-housing serve` runs",
            highlight=False,
        )
