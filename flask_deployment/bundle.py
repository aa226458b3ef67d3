"""A folder that a Heroku-style PaaS can build with its Python buildpack: the form and nothing else.

Buildpacks read ``Procfile``, ``.python-version`` and ``requirements.txt`` at the root of what is
pushed. The repository's root holds the whole project (MLflow, pandas, xgboost ...), far more
than the form needs, so :func:`write_bundle` lays out the form's own slug instead: the kernel and
``flask_deployment`` packages, with those three files at its root.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import flask_deployment
import paris_housing

ROOT_FILES = ("Procfile", ".python-version", "requirements.txt")
PACKAGES = (paris_housing, flask_deployment)


def write_bundle(out: Path) -> list[str]:
    """Write the deployable folder ``out`` (which must not exist or be empty); list its top."""
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty: give a new folder for the bundle")
    out.mkdir(parents=True, exist_ok=True)
    here = Path(flask_deployment.__file__).parent
    for package in PACKAGES:
        source = Path(package.__file__).parent
        shutil.copytree(
            source,
            out / source.name,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo"),
        )
    for name in ROOT_FILES:
        shutil.copy2(here / name, out / name)
    return sorted(p.name for p in out.iterdir())
