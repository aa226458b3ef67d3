"""Real servers for the web form's integration and end-to-end tests, on free loopback ports.

The MongoDB-wire server (``nx-27017``) is started with the project's own launcher; the form runs
under gunicorn with the command ``paris-housing web`` uses.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from flask_deployment.embedded_mongo import EmbeddedMongo
from orchestration.commands.web import gunicorn_command
from tests.flask_deployment.helpers import TEST_SECRET_KEY, csrf_token
from tests.servers import Server, free_port, port_open


def start_mongo(data_dir: Path) -> EmbeddedMongo:
    """A fresh ``nx-27017`` on a free port, with its data in ``data_dir``."""
    mongo = EmbeddedMongo(data_dir, free_port())
    assert mongo.start(), "a MongoDB already answered on a free port"
    return mongo


def web_env(mongo_uri: str, api_url: str, local_dir: Path) -> dict[str, str]:
    """The environment of a production-mode form on this MongoDB and prediction service."""
    return {
        "MONGODB_URI": mongo_uri,
        "PARIS_HOUSING_API_URL": api_url,
        "PARIS_HOUSING_LOCAL_DIR": str(local_dir),
        "FLASK_SECRET_KEY": TEST_SECRET_KEY,
        "PARIS_HOUSING_MONGODB_TIMEOUT_MS": "500",
        "PARIS_HOUSING_WEB_OUTBOX_RETRY_SECONDS": "0.2",
    }


def start_web(workdir: Path, env: dict[str, str], workers: int = 2) -> tuple[Server, str]:
    """The form under gunicorn on a free port; the server and its URL."""
    port = free_port()
    server = Server(
        "web", gunicorn_command("127.0.0.1", port, workers), workdir / "gunicorn.log", env=env
    )
    server.start(lambda: port_open(port), timeout=60)
    return server, f"http://127.0.0.1:{port}"


def post_form(url: str, data: dict[str, str], timeout: float = 30) -> tuple[int, str | None, str]:
    """Open the form and post ``data`` as a browser would (following the redirect to the result
    page): status, request id shown, page."""
    with httpx.Client(base_url=url, timeout=timeout, follow_redirects=True) as client:
        token = csrf_token(client.get("/").text)
        response = client.post("/", data={**data, "csrf_token": token})
    match = re.search(r"<code(?: id=\"request-id\")?>([0-9a-f]{32})</code>", response.text)
    return response.status_code, match.group(1) if match else None, response.text
