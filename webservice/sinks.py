"""Stores of the prediction log: MongoDB when ``MONGODB_URI`` is set, the bucket otherwise.

Both keep the same flat record per prediction: ``request_id``, ``row``, ``timestamp`` (UTC),
``endpoint``, ``dataset``, ``model_name``, ``model_version``, one field per feature of the
dataset spec (typed as the spec says), ``price`` and ``currency``.
"""

from __future__ import annotations

import io
import itertools
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from paris_housing.datasets import DatasetSpec
from paris_housing.settings import Settings
from paris_housing.storage import Bucket, open_bucket
from webservice.model_source import masked
from webservice.prediction_log import Entry

DUPLICATE_KEY = 11000
MONGO_SLICE = 500  # documents per insert_many call
# The writer thread converts entries a slice at a time and yields the GIL in between: holding
# it for a whole batch would stall the event loop's thread for milliseconds, which shows in the
# service's p99 latency.
SLICE = 256


def in_slices(entries: list[Entry]) -> Iterator[list[Entry]]:
    """``entries`` a slice at a time, letting other threads run between slices."""
    for start in range(0, len(entries), SLICE):
        if start:
            time.sleep(0)
        yield entries[start : start + SLICE]


@dataclass(frozen=True)
class Record:
    """What each record holds besides its entry: the spec's features and constant fields."""

    features: tuple[tuple[str, type], ...]
    constants: dict[str, Any]

    @classmethod
    def for_spec(cls, spec: DatasetSpec) -> Record:
        """The record of ``spec``'s dataset and model."""
        return cls(
            tuple((c.name, c.python_type) for c in spec.features),
            {
                "dataset": spec.name,
                "model_name": spec.registered_model_name,
                "currency": spec.target.unit,
            },
        )

    def documents(self, entries: list[Entry]) -> list[dict[str, Any]]:
        """One flat document per entry."""
        features, constants = self.features, self.constants
        return [
            {
                "request_id": request_id,
                "row": row,
                "timestamp": datetime.fromtimestamp(when, UTC),
                "endpoint": endpoint,
                "model_version": version,
                **{name: kind(value) for (name, kind), value in zip(features, values)},
                "price": price,
                **constants,
            }
            for part in in_slices(entries)
            for request_id, row, when, endpoint, version, values, price in part
        ]

    def parquet(self, entries: list[Entry]) -> bytes:
        """The entries as one Parquet file, a column per field."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_batches([self._record_batch(part) for part in in_slices(entries)])
        sink = io.BytesIO()
        pq.write_table(table, sink, compression="zstd")
        return sink.getvalue()

    def _record_batch(self, entries: list[Entry]) -> Any:
        import numpy as np
        import pyarrow as pa

        request_ids, rows, times, endpoints, versions, values, prices = zip(*entries)
        matrix = np.asarray(values, dtype=np.float64)
        columns: dict[str, Any] = {
            "request_id": pa.array(request_ids, pa.string()),
            "row": pa.array(rows, pa.int32()),
            "timestamp": pa.array(
                (np.asarray(times) * 1e6).astype("int64"), pa.timestamp("us", tz="UTC")
            ),
            "endpoint": pa.array(endpoints, pa.string()),
            "model_version": pa.array(versions, pa.string()),
        }
        for index, (name, kind) in enumerate(self.features):
            column = matrix[:, index]
            columns[name] = column.astype(np.int64) if kind is int else column
        columns["price"] = pa.array(prices, pa.float64())
        for name, value in self.constants.items():
            columns[name] = pa.array([value] * len(entries), pa.string())
        return pa.RecordBatch.from_pydict(columns)


class BucketSink:
    """Parquet objects in the bucket, one per batch, partitioned by day.

    ``<prefix>/<dataset>/date=YYYY-MM-DD/<HHMMSS.ffffff>-<pid>-<n>.parquet``: each worker process
    writes its own objects, so writers never collide; a reader loads a day's prefix as one table.
    """

    def __init__(self, bucket: Bucket, prefix: str, record: Record) -> None:
        self.bucket = bucket
        self.record = record
        self.prefix = f"{prefix.strip('/')}/{record.constants['dataset']}"
        self.description = f"the bucket {bucket.uri}/{self.prefix}"
        self._sequence = itertools.count()

    def prepare(self, entries: list[Entry]) -> tuple[str, bytes]:
        """The object's key and bytes."""
        now = datetime.now(UTC)
        key = (
            f"{self.prefix}/date={now:%Y-%m-%d}/"
            f"{now:%H%M%S.%f}-{os.getpid()}-{next(self._sequence):06d}.parquet"
        )
        return key, self.record.parquet(entries)

    def write(self, batch: tuple[str, bytes]) -> None:
        """Put the object (atomically, with its sha256 recorded)."""
        key, data = batch
        self.bucket.put(key, data, "application/vnd.apache.parquet")

    def close(self) -> None:
        """Nothing to release."""


class MongoSink:
    """A MongoDB collection; a batch retried after a partial failure is never stored twice."""

    def __init__(
        self, uri: str, database: str, collection: str, timeout_seconds: float, record: Record
    ) -> None:
        from pymongo import MongoClient

        timeout_ms = int(timeout_seconds * 1000)
        self.client: Any = MongoClient(
            uri,
            serverSelectionTimeoutMS=timeout_ms,
            connectTimeoutMS=timeout_ms,
            socketTimeoutMS=timeout_ms,
            tz_aware=True,
            appname="paris-housing-service",
        )
        self.collection = self.client[database][collection]
        self.record = record
        self.description = f"MongoDB {masked(uri)} {database}.{collection}"

    def prepare(self, entries: list[Entry]) -> list[dict[str, Any]]:
        """Documents with their ``_id`` set now, so that a retry sends the same ids."""
        from bson import ObjectId

        documents = self.record.documents(entries)
        for document in documents:
            document["_id"] = ObjectId()
        return documents

    def write(self, batch: list[dict[str, Any]]) -> None:
        """Insert the documents, a slice per call."""
        from pymongo.errors import BulkWriteError

        for start in range(0, len(batch), MONGO_SLICE):
            try:
                self.collection.insert_many(batch[start : start + MONGO_SLICE], ordered=False)
            except BulkWriteError as exc:  # documents stored by an earlier attempt: written
                errors = exc.details.get("writeErrors", [])
                if not errors or any(e.get("code") != DUPLICATE_KEY for e in errors):
                    raise

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()


def open_sink(settings: Settings, spec: DatasetSpec) -> BucketSink | MongoSink:
    """MongoDB when ``MONGODB_URI`` is set, else the bucket."""
    record = Record.for_spec(spec)
    if settings.mongodb_uri is not None:
        return MongoSink(
            settings.mongodb_uri.get_secret_value(),
            settings.mongodb_database,
            settings.prediction_log_collection,
            settings.prediction_log_timeout_seconds,
            record,
        )
    return BucketSink(open_bucket(settings=settings), settings.prediction_log_prefix, record)
