"""The service's image (no Docker engine here: its files are checked against the project)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from tests.conftest import ROOT

HERE = ROOT / "webservice"
# what the service imports from the kernel (the other kernel modules are not used by it)
KERNEL_MODULES = ("settings", "storage", "registry", "datasets/spec", "datasets/kaggle")


def locked() -> dict[str, dict]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return {package["name"]: package for package in lock["package"]}


def requirements() -> list[str]:
    lines = (HERE / "requirements.in").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def closure(names: list[str], packages: dict[str, dict]) -> set[str]:
    found, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo.extend(d["name"] for d in packages[name].get("dependencies", []))
    return found


def normalised(distribution: str) -> str:
    """A distribution's name as uv.lock writes it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", distribution).lower()


def imported_modules() -> set[str]:
    files = list(HERE.glob("*.py")) + [ROOT / "paris_housing" / f"{m}.py" for m in KERNEL_MODULES]
    files += [ROOT / "orchestration" / "cli.py", ROOT / "orchestration" / "commands" / "serve.py"]
    modules = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - {"paris_housing", "webservice", "orchestration"}


def test_the_image_installs_every_library_the_service_imports():
    packages = locked()
    installed = closure(requirements(), packages)
    distributions = packages_distributions()
    missing = {
        module: distributions.get(module)
        for module in imported_modules()
        if not {normalised(d) for d in distributions.get(module, [])} & installed
    }
    assert not missing, f"imported but not installed in the image: {missing}"
    assert {"onnxruntime", "xgboost-cpu", "lightgbm", "uvloop", "httptools"} <= installed
    assert "numba" not in installed
    assert not {"prefect", "evidently", "pandera", "kaggle"} & installed


def test_every_requirement_is_locked():
    packages = locked()
    assert all(name in packages for name in requirements())


def test_dockerfile_is_slim_locked_non_root_with_a_health_check():
    dockerfile = (HERE / "Dockerfile").read_text()
    assert (
        re.findall(r"^FROM python:3\.11-slim", dockerfile, re.MULTILINE)
        == ["FROM python:3.11-slim"] * 2
    )
    assert "uv export --frozen --no-dev" in dockerfile
    assert "--requirements requirements.in --constraints locked.txt" in dockerfile
    for source in re.findall(r"^COPY (\S+)/ ", dockerfile, re.MULTILINE):
        assert (ROOT / source).is_dir()
    user = re.search(r"^USER (\S+)$", dockerfile, re.MULTILINE).group(1)
    assert user not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*\n.*/health", dockerfile, re.MULTILINE)
    assert dockerfile.rstrip().endswith('CMD ["python", "-m", "orchestration.cli", "serve"]')
    ignore = (HERE / "Dockerfile.dockerignore").read_text().splitlines()
    for needed in (
        "!pyproject.toml",
        "!uv.lock",
        "!paris_housing",
        "!webservice",
        "!orchestration",
    ):
        assert needed in ignore
