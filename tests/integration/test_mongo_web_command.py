"""How the form is run: ``paris-housing web`` on the embedded MongoDB-wire server, and the PaaS
bundle's Procfile in a virtualenv holding only ``flask_deployment/requirements.txt``."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pymongo import MongoClient

from flask_deployment.bundle import write_bundle
from tests.flask_deployment.fake_api import FakeApi
from tests.flask_deployment.helpers import form_data
from tests.flask_deployment.web_servers import post_form, start_mongo, web_env
from tests.servers import VENV_BIN, Server, free_port, port_open

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _find_submission(uri: str, request_id: str) -> dict | None:
    client: MongoClient = MongoClient(uri, serverSelectionTimeoutMS=5000)
    try:
        return client["paris_housing"]["submissions"].find_one({"_id": request_id})
    finally:
        client.close()


def test_web_command_starts_the_embedded_mongodb_and_stops_it(tmp_path):
    api = FakeApi().start()
    web_port, mongo_port = free_port(), free_port()
    env = {
        **os.environ,
        "PARIS_HOUSING_LOCAL_DIR": str(tmp_path / ".local"),
        "PARIS_HOUSING_MONGODB_EMBEDDED_PORT": str(mongo_port),
        "PARIS_HOUSING_API_URL": api.url,
        "COLUMNS": "200",
    }
    for name in ("MONGODB_URI", "FLASK_SECRET_KEY", "PARIS_HOUSING_WEB_SECRET_KEY"):
        env.pop(name, None)
    log = tmp_path / "web.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # pylint: disable=consider-using-with
            [str(VENV_BIN / "paris-housing"), "web", "--port", str(web_port), "--workers", "1"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
    try:
        deadline = time.monotonic() + 60
        while not port_open(web_port) and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            time.sleep(0.2)
        status, request_id, _ = post_form(f"http://127.0.0.1:{web_port}", form_data())
        assert status == 200
        document = _find_submission(f"mongodb://127.0.0.1:{mongo_port}", request_id)
        assert document is not None and document["status"] == "estimated"
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(30)
        api.stop()
    output = log.read_text()
    assert code == 0, output
    assert f"submissions in embedded MongoDB-wire server at mongodb://127.0.0.1:{mongo_port}" in (
        " ".join(output.split())
    )
    assert not port_open(mongo_port) and not port_open(web_port)
    key = tmp_path / ".local" / "web-secret-key"
    assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_text().strip()) == 64
    assert (tmp_path / ".local" / "mongodb" / "paris_housing.db").exists()


def _slim_venv(where: Path, requirements: Path) -> Path:
    """A virtualenv with only the form's requirements (from uv's cache when it can)."""
    home = Path(pwd.getpwuid(os.getuid()).pw_dir)  # the tests' HOME is a temporary folder
    uv = shutil.which("uv") or str(home / ".local" / "bin" / "uv")
    if not Path(uv).exists():
        pytest.fail("uv is missing: run `make setup`")
    env = {**os.environ, "HOME": str(home)}
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(where)], check=True, env=env)
    install = [uv, "pip", "install", "-q", "--python", str(where / "bin" / "python")]
    offline = subprocess.run([*install, "--offline", "-r", str(requirements)], check=False, env=env)
    if offline.returncode != 0:
        subprocess.run([*install, "-r", str(requirements)], check=True, env=env)
    return where / "bin"


def test_paas_bundle_runs_its_procfile_with_only_its_requirements(tmp_path):
    bundle = tmp_path / "bundle"
    write_bundle(bundle)
    bin_dir = _slim_venv(tmp_path / "venv", bundle / "requirements.txt")
    installed = subprocess.run(
        [str(bin_dir / "python"), "-c", "import mlflow"], capture_output=True, check=False
    )
    assert installed.returncode != 0, "the slim environment must not hold the training stack"

    command = (bundle / "Procfile").read_text().strip().removeprefix("web: ")
    mongo = start_mongo(tmp_path / "mongo")
    api = FakeApi().start()
    port = free_port()
    env = {
        **web_env(mongo.uri, api.url, tmp_path / "state"),
        "PORT": str(port),
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "PYTHONPATH": "",
    }
    web = Server("paas", ["sh", "-c", f"exec {command}"], tmp_path / "paas.log", env, bundle)
    try:
        web.start(lambda: port_open(port), timeout=60)
        status, request_id, _ = post_form(f"http://127.0.0.1:{port}", form_data())
        document = _find_submission(mongo.uri, request_id)
    finally:
        web.stop()
        api.stop()
        mongo.stop()
    assert status == 200, web.tail()
    assert document is not None and document["inputs"]["squareMeters"] == 120
    assert "0.0.0.0:" + str(port) in web.tail(100)
