"""The files a PaaS and Docker read stay in step with the project (they cannot all run here)."""

from __future__ import annotations

import re
import tomllib

import pytest

from flask_deployment.bundle import ROOT_FILES, write_bundle
from orchestration.commands.web import APP, gunicorn_command
from tests.conftest import ROOT

HERE = ROOT / "flask_deployment"


def _procfile_command() -> str:
    [line] = (HERE / "Procfile").read_text().splitlines()
    assert line.startswith("web: ")
    return line.removeprefix("web: ")


def test_procfile_runs_the_app_factory_under_gunicorn_on_port():
    command = _procfile_command()
    assert command.startswith("gunicorn --bind 0.0.0.0:$PORT ")
    assert command.endswith(f"'{APP}'")
    for option in ("--worker-class gevent", "--no-control-socket", "--forwarded-allow-ips"):
        assert option in command
    local = " ".join(gunicorn_command("127.0.0.1", 5000, 2))
    for option in ("--worker-class gevent", "--no-control-socket", APP):
        assert option in local


def test_dockerfile_runs_the_procfile_command_as_a_user_with_the_slim_requirements():
    dockerfile = (HERE / "Dockerfile").read_text()
    cmd = re.search(r'^CMD \["sh", "-c", "exec (.+)"\]$', dockerfile, re.MULTILINE).group(1)
    assert cmd == _procfile_command()
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.MULTILINE)
    assert "COPY flask_deployment/requirements.txt" in dockerfile
    assert "pip install --no-compile -r requirements.txt" in dockerfile
    for source in re.findall(r"^COPY (\S+)/ ", dockerfile, re.MULTILINE):
        assert (ROOT / source).is_dir()
    user = re.search(r"^USER (\S+)$", dockerfile, re.MULTILINE).group(1)
    assert user not in ("root", "0")
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    ignore = (HERE / "Dockerfile.dockerignore").read_text().splitlines()
    assert ignore[1:4] == ["**", "!paris_housing", "!flask_deployment"]


def test_requirements_pin_the_locked_versions():
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    locked = {p["name"]: p["version"] for p in lock["package"]}
    pins = [
        line.split("==")
        for line in (HERE / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert pins, "no requirement pinned"
    for name, version in pins:
        assert locked.get(name) == version, f"{name}=={version} but uv.lock has {locked.get(name)}"
    names = {name for name, _ in pins}
    assert {"flask", "flask-wtf", "gunicorn", "httpx", "pymongo", "pydantic-settings"} <= names
    assert not names & {"mlflow", "pandas", "xgboost-cpu", "scikit-learn", "nx-27017"}


def test_python_version_matches_the_project():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    version = (HERE / ".python-version").read_text().strip()
    assert version == "3.11" and f">={version}" in project["requires-python"]


def test_bundle_holds_the_packages_and_the_paas_files_at_its_root(tmp_path):
    top = write_bundle(tmp_path / "bundle")
    assert top == sorted([*ROOT_FILES, "flask_deployment", "paris_housing"])
    bundle = tmp_path / "bundle"
    assert (bundle / "Procfile").read_text() == (HERE / "Procfile").read_text()
    assert (bundle / "flask_deployment" / "templates" / "form.html").exists()
    assert (bundle / "paris_housing" / "datasets" / "kaggle.py").exists()
    assert not list(bundle.rglob("__pycache__"))
    with pytest.raises(FileExistsError, match="is not empty"):
        write_bundle(bundle)


def test_the_form_imports_no_other_stage():
    for path in HERE.rglob("*.py"):
        text = path.read_text()
        for stage in (
            "webservice",
            "model_selection",
            "monitoring",
            "data_ingestion",
            "orchestration",
        ):
            assert not re.search(rf"^\s*(from|import) {stage}\b", text, re.MULTILINE), path
