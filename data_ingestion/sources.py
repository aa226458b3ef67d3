"""Where the raw CSV comes from: the Kaggle API, the copy shipped in ``data/``, or a path."""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

from paris_housing.datasets import DatasetSpec
from paris_housing.settings import Settings
from paris_housing.storage import sha256_hex

AUTO, KAGGLE, SHIPPED = "auto", "kaggle", "shipped"


class SourceError(RuntimeError):
    """The source cannot be read: missing file, checksum mismatch, Kaggle download failure."""


@dataclass(frozen=True)
class RawSource:
    """The raw bytes of a source, with where they came from and their sha256."""

    kind: str
    uri: str
    data: bytes

    @property
    def sha256(self) -> str:
        """The sha256 of the raw bytes."""
        return sha256_hex(self.data)


def kaggle_configured(settings: Settings) -> bool:
    """Whether Kaggle credentials are set (environment or a kaggle.json file)."""
    if settings.kaggle_username and settings.kaggle_key:
        return True
    folders = [os.environ.get("KAGGLE_CONFIG_DIR"), "~/.kaggle", "~/.config/kaggle"]
    return any(Path(f).expanduser().joinpath("kaggle.json").is_file() for f in folders if f)


def fetch_source(source: str, spec: DatasetSpec, settings: Settings) -> RawSource:
    """Read the raw bytes of ``source``: 'auto', 'kaggle', 'shipped' or a CSV path.

    'auto' downloads from Kaggle when credentials are configured and uses the shipped copy
    otherwise.
    """
    if source == AUTO:
        source = KAGGLE if kaggle_configured(settings) else SHIPPED
    if source == KAGGLE:
        return _download_kaggle(spec, settings)
    if source == SHIPPED:
        path = settings.shipped_data_dir / spec.source.file_name
        raw = RawSource(SHIPPED, str(path), _read_file(path))
        if raw.sha256 != spec.source.sha256:
            raise SourceError(
                f"checksum mismatch for the shipped file {path}: sha256 {raw.sha256}, expected "
                f"{spec.source.sha256}; restore it with `git checkout -- {path}`"
            )
        return raw
    path = Path(source).expanduser()
    return RawSource("path", str(path), _read_file(path))


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"the file {path} does not exist") from None
    except IsADirectoryError:
        raise SourceError(f"{path} is a folder, not a CSV file") from None
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _download_kaggle(spec: DatasetSpec, settings: Settings) -> RawSource:
    """Download the dataset with the Kaggle API into the local cache, and read its CSV."""
    if not kaggle_configured(settings):
        raise SourceError(
            "no Kaggle credentials: set KAGGLE_USERNAME and KAGGLE_KEY or put kaggle.json in "
            "~/.kaggle (https://www.kaggle.com/settings), or use --source shipped"
        )
    if settings.kaggle_username and settings.kaggle_key:
        os.environ.setdefault("KAGGLE_USERNAME", settings.kaggle_username)
        os.environ.setdefault("KAGGLE_KEY", settings.kaggle_key.get_secret_value())
    target = settings.local_path("cache", "kaggle", *spec.source.kaggle_slug.split("/"))
    target.mkdir(parents=True, exist_ok=True)
    slug = spec.source.kaggle_slug
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # kaggle prints on import and download
            from kaggle.api.kaggle_api_extended import KaggleApi

            api = KaggleApi()
            api.authenticate()
            api.dataset_download_files(slug, path=str(target), quiet=True, unzip=True)
    except (Exception, SystemExit) as exc:  # pylint: disable=broad-exception-caught
        raise SourceError(
            f"the Kaggle download of {slug} failed ({type(exc).__name__}: {exc}); check your "
            "network and credentials, or use --source shipped"
        ) from exc
    path = target / spec.source.file_name
    return RawSource(KAGGLE, f"kaggle://{slug}/{spec.source.file_name}", _read_file(path))
