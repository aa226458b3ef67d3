"""Dataset versions in the bucket: the manifest format, the ``LATEST`` pointer, and reading.

Layout of one dataset in the bucket::

    datasets/<name>/LATEST                      the version id of the newest complete version
    datasets/<name>/<version>/manifest.json     what the version holds (written after its data)
    datasets/<name>/<version>/period=<k>.parquet
    datasets/<name>/<version>/quarantine.csv    rows that failed validation, with reasons

A version is complete once its manifest exists; ``LATEST`` is moved to it last, so a reader never
sees a half-written dataset.
"""

from __future__ import annotations

import io
from datetime import datetime

import pandas as pd
from pydantic import BaseModel, Field

from paris_housing.datasets import DatasetSpec
from paris_housing.storage import Bucket, ObjectNotFound

MANIFEST = "manifest.json"
LATEST = "LATEST"


class SourceInfo(BaseModel):
    """Where the rows came from."""

    kind: str = Field(description="kaggle, shipped or path")
    uri: str
    sha256: str
    rows: int


class StoredObject(BaseModel):
    """An object of the version, with the sha256 it was written with."""

    key: str
    sha256: str


class PeriodInfo(StoredObject):
    """One period: rows that arrived together, ordered by the time column."""

    period: int
    rows: int
    time_min: int
    time_max: int


class QuarantineInfo(BaseModel):
    """Rows that failed validation."""

    rows: int
    reasons: dict[str, int] = Field(description="count of failed checks, by column and check")
    object: StoredObject | None = None


class Manifest(BaseModel):
    """Everything a later stage needs to know about one dataset version."""

    dataset: str
    version: str
    schema_version: int
    created_at: datetime
    source: SourceInfo
    time_column: str
    rows: int
    periods: list[PeriodInfo]
    quarantine: QuarantineInfo


def version_prefix(spec: DatasetSpec, version: str) -> str:
    """The bucket prefix of one version."""
    return f"{spec.prefix()}/{version}"


def latest_version(bucket: Bucket, spec: DatasetSpec) -> str:
    """The id of the newest complete version, or a clear error if none was ingested."""
    try:
        return bucket.get(f"{spec.prefix()}/{LATEST}").decode().strip()
    except ObjectNotFound:
        raise ObjectNotFound(
            f"no version of dataset {spec.name!r} in bucket {bucket.uri}: "
            "run `paris-housing ingest` first"
        ) from None


def read_manifest(bucket: Bucket, spec: DatasetSpec, version: str | None = None) -> Manifest:
    """The manifest of ``version`` (default: the latest)."""
    version = version or latest_version(bucket, spec)
    raw = bucket.get(f"{version_prefix(spec, version)}/{MANIFEST}")
    return Manifest.model_validate_json(raw)


def read_period(bucket: Bucket, period: PeriodInfo) -> pd.DataFrame:
    """One period's rows, checked against the sha256 in the manifest."""
    return pd.read_parquet(io.BytesIO(bucket.get(period.key, expected_sha256=period.sha256)))


def read_periods(
    bucket: Bucket, spec: DatasetSpec, version: str | None = None
) -> tuple[Manifest, list[pd.DataFrame]]:
    """The manifest and every period's rows of ``version`` (default: the latest)."""
    manifest = read_manifest(bucket, spec, version)
    return manifest, [read_period(bucket, p) for p in manifest.periods]
