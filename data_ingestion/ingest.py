"""The ingestion steps: open the bucket, fetch the source (:mod:`data_ingestion.sources`),
validate it, split it into periods and store them, idempotently. ``orchestration.pipeline``
composes them, for the ``ingest`` command and the training flow alike.

A version's id is derived from the source's sha256, the schema version and the split, so the
same input always lands in the same place: re-ingesting it writes nothing.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd

from data_ingestion.sources import RawSource
from data_ingestion.split import TooFewTimes, split_periods
from data_ingestion.validation import InputError, Validated, read_csv_text, validate
from paris_housing.catalog import (
    LATEST,
    MANIFEST,
    Manifest,
    PeriodInfo,
    QuarantineInfo,
    SourceInfo,
    StoredObject,
    version_prefix,
)
from paris_housing.datasets import DatasetSpec
from paris_housing.schema import typed_schema
from paris_housing.settings import Settings, get_settings
from paris_housing.storage import Bucket, ObjectNotFound, open_bucket, sha256_hex

log = logging.getLogger(__name__)

# Bump when the stored layout or the split changes, so that old and new versions never mix.
LAYOUT_VERSION = 1


@dataclass
class IngestResult:
    """What an ingestion did."""

    manifest: Manifest
    bucket: str
    changed: bool
    ignored_columns: list[str] = field(default_factory=list)


def version_id(spec: DatasetSpec, source_sha256: str) -> str:
    """The id of the version that a source becomes: the same input gives the same id."""
    key = f"{spec.name}:{spec.schema_version}:{spec.n_periods}:{LAYOUT_VERSION}:{source_sha256}"
    return sha256_hex(key.encode())[:16]


def open_checked_bucket(uri: str | None, settings: Settings | None = None) -> Bucket:
    """The bucket at ``uri`` (default: the configured one), checked to be reachable and writable,
    so that a wrong address fails before the source is read."""
    bucket = open_bucket(uri, settings or get_settings())
    bucket.check()
    return bucket


def validate_source(raw: RawSource, spec: DatasetSpec) -> Validated:
    """Read the raw CSV and validate every row against the spec (pure: no I/O)."""
    validated = validate(read_csv_text(raw.data, raw.uri), spec, raw.uri)
    for column in validated.ignored_columns:
        log.warning("column %r of %s is not in the %s spec: ignored", column, raw.uri, spec.name)
    return validated


def store(raw: RawSource, validated: Validated, spec: DatasetSpec, bucket: Bucket) -> IngestResult:
    """Split the accepted rows into periods and write the version, unless it is already stored.

    The manifest is written after the data and ``LATEST`` last, so a failure part-way leaves the
    previous version as the latest and no half-written version that claims to be complete.
    """
    version = version_id(spec, raw.sha256)
    prefix = version_prefix(spec, version)
    existing = _complete_manifest(bucket, spec, version)
    if existing is not None:
        changed = _point_latest(bucket, spec, version)
        return IngestResult(existing, bucket.uri, changed, validated.ignored_columns)

    try:
        periods = split_periods(validated.accepted, spec.time_column, spec.n_periods)
    except TooFewTimes as exc:  # the quarantine first, so that the reasons are not lost
        quarantine = _write_quarantine(bucket, prefix, validated)
        kept = (
            f"; the {quarantine.rows:,} quarantined rows and their reasons are in "
            f"{bucket.uri}/{quarantine.object.key}"
            if quarantine.object
            else ""
        )
        raise InputError(f"{raw.uri} cannot be ingested: {exc}{kept}") from exc
    contract = typed_schema(spec)  # what every stored period is: the spec's columns and rules
    for period in periods:
        contract.validate(period)
    manifest = Manifest(
        dataset=spec.name,
        version=version,
        schema_version=spec.schema_version,
        created_at=datetime.now(UTC),
        source=SourceInfo(
            kind=raw.kind,
            uri=raw.uri,
            sha256=raw.sha256,
            rows=len(validated.accepted) + len(validated.quarantined),
        ),
        time_column=spec.time_column,
        rows=len(validated.accepted),
        periods=[
            _write_period(bucket, prefix, number, period, spec.time_column)
            for number, period in enumerate(periods, start=1)
        ],
        quarantine=_write_quarantine(bucket, prefix, validated),
    )
    bucket.put(
        f"{prefix}/{MANIFEST}", manifest.model_dump_json(indent=2).encode(), "application/json"
    )
    _point_latest(bucket, spec, version)
    return IngestResult(manifest, bucket.uri, True, validated.ignored_columns)


def _write_period(
    bucket: Bucket, prefix: str, number: int, frame: pd.DataFrame, time_column: str
) -> PeriodInfo:
    key = f"{prefix}/period={number}.parquet"
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, engine="pyarrow")
    digest = bucket.put(key, buffer.getvalue(), "application/vnd.apache.parquet")
    return PeriodInfo(
        key=key,
        sha256=digest,
        period=number,
        rows=len(frame),
        time_min=int(frame[time_column].min()),
        time_max=int(frame[time_column].max()),
    )


def _write_quarantine(bucket: Bucket, prefix: str, validated: Validated) -> QuarantineInfo:
    rows = validated.quarantined
    info = QuarantineInfo(rows=len(rows), reasons=dict(validated.reason_counts.most_common()))
    if len(rows):
        key = f"{prefix}/quarantine.csv"
        digest = bucket.put(key, rows.to_csv(index=True).encode(), "text/csv")
        info.object = StoredObject(key=key, sha256=digest)
    return info


def _complete_manifest(bucket: Bucket, spec: DatasetSpec, version: str) -> Manifest | None:
    """The manifest of ``version`` if it and every object it names are intact, else None."""
    try:
        raw = bucket.get(f"{version_prefix(spec, version)}/{MANIFEST}")
    except ObjectNotFound:
        return None
    manifest = Manifest.model_validate_json(raw)
    objects: list[StoredObject] = [*manifest.periods]
    if manifest.quarantine.object is not None:
        objects.append(manifest.quarantine.object)
    if all(bucket.recorded_sha256(obj.key) == obj.sha256 for obj in objects):
        return manifest
    log.warning("version %s in %s is incomplete or altered: writing it again", version, bucket.uri)
    return None


def _point_latest(bucket: Bucket, spec: DatasetSpec, version: str) -> bool:
    """Move ``LATEST`` to ``version``; return whether it moved."""
    key = f"{spec.prefix()}/{LATEST}"
    try:
        if bucket.get(key).decode().strip() == version:
            return False
    except ObjectNotFound:
        pass
    bucket.put(key, f"{version}\n".encode(), "text/plain")
    return True
