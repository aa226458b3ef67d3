"""The prediction log: batched, never blocking, bounded, nothing lost while the store is down."""

from __future__ import annotations

import threading
import time

import pandas as pd
import pytest

from paris_housing.storage import LocalBucket
from webservice.prediction_log import PredictionLog
from webservice.sinks import BucketSink, Record


class Events:
    """The events a log reports, counted."""

    def __init__(self) -> None:
        self.rows_written = self.rows_dropped = self.failures = 0
        self.last_pending = -1

    def pending(self, count: int) -> None:
        self.last_pending = count

    def written(self, count: int) -> None:
        self.rows_written += count

    def dropped(self, count: int) -> None:
        self.rows_dropped += count

    def write_failed(self) -> None:
        self.failures += 1


class Outage:
    """A store that is down until ``up`` is set (or blocks while ``blocked`` is set)."""

    def __init__(self, sink: BucketSink) -> None:
        self.sink = sink
        self.description = sink.description
        self.up = threading.Event()
        self.blocked = threading.Event()
        self.attempts = 0

    def prepare(self, entries):
        return self.sink.prepare(entries)

    def write(self, batch) -> None:
        self.attempts += 1
        while self.blocked.is_set():
            time.sleep(0.01)
        if not self.up.is_set():
            raise ConnectionError("store down")
        self.sink.write(batch)

    def close(self) -> None:
        self.sink.close()


@pytest.fixture
def bucket(tmp_path) -> LocalBucket:
    return LocalBucket(tmp_path / "bucket")


@pytest.fixture
def sink(bucket, spec) -> BucketSink:
    return BucketSink(bucket, "predictions", Record.for_spec(spec))


def logged(bucket: LocalBucket) -> pd.DataFrame:
    frames = [
        pd.read_parquet(bucket.root / key)
        for key in bucket.list("predictions")
        if key.endswith(".parquet")
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def values(spec, k: int) -> tuple[int, ...]:
    return tuple(int(c.minimum) + k % 2 for c in spec.features)


def test_every_prediction_lands_once_with_its_fields_and_types(spec, bucket, sink):
    events = Events()
    log = PredictionLog(sink, batch_rows=40, flush_seconds=0.05, max_pending=10_000, events=events)
    log.start()
    for k in range(100):
        log.submit(f"r{k}", "/predict", "3", values(spec, k), 1000.0 + k)
    log.submit_many("batch", "/predict/batch", "3", [values(spec, 0), values(spec, 1)], [1.0, 2.0])
    log.stop()
    table = logged(bucket).sort_values(["request_id", "row"]).reset_index(drop=True)
    assert len(table) == 102 and events.rows_written == 102 and events.last_pending == 0
    assert len(bucket.list("predictions/kaggle")) >= 3  # written in batches of at most 40
    first = table.set_index("request_id").loc["r7"]
    assert first["price"] == 1007.0 and first["model_version"] == "3"
    assert first["endpoint"] == "/predict" and first["dataset"] == "kaggle"
    assert first["model_name"] == "paris-housing-kaggle" and first["currency"] == "EUR"
    assert first["squareMeters"] == 2 and first["made"] == 1901
    assert table["squareMeters"].dtype == "int64"
    assert str(table["timestamp"].dtype) == "datetime64[us, UTC]"
    batch = table[table["request_id"] == "batch"]
    assert batch["row"].tolist() == [0, 1] and batch["price"].tolist() == [1.0, 2.0]


def test_while_the_store_is_down_predictions_wait_then_land_in_order(spec, bucket, sink):
    outage, events = Outage(sink), Events()
    log = PredictionLog(outage, batch_rows=10, flush_seconds=0.02, max_pending=1000, events=events)
    log.start()
    for k in range(25):
        log.submit(f"r{k}", "/predict", "1", values(spec, k), float(k))
    deadline = time.monotonic() + 5
    while events.failures < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert events.failures >= 2 and log.pending == 25 and logged(bucket).empty
    assert "store down" in log.last_error
    outage.up.set()
    log.stop()
    assert log.pending == 0 and events.rows_written == 25
    table = logged(bucket)
    assert sorted(table["price"]) == [float(k) for k in range(25)]


def test_beyond_the_bound_new_predictions_are_dropped_and_counted(spec, bucket, sink):
    outage, events = Outage(sink), Events()
    log = PredictionLog(outage, batch_rows=10, flush_seconds=0.02, max_pending=30, events=events)
    log.start()
    for k in range(50):
        log.submit(f"r{k}", "/predict", "1", values(spec, k), float(k))
    log.submit_many("b", "/predict/batch", "1", [values(spec, 0)] * 5, [0.0] * 5)
    assert log.pending == 30
    outage.up.set()
    log.stop()
    assert events.rows_dropped == 25 and events.rows_written == 30
    assert sorted(logged(bucket)["price"]) == [float(k) for k in range(30)]


def test_a_stuck_store_never_slows_a_request(spec, sink):
    outage = Outage(sink)
    outage.blocked.set()
    log = PredictionLog(outage, batch_rows=100, flush_seconds=0.01, max_pending=100_000)
    log.start()
    log.submit("first", "/predict", "1", values(spec, 0), 1.0)
    deadline = time.monotonic() + 5
    while outage.attempts == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert outage.attempts == 1  # the writer is now stuck inside a write
    start = time.perf_counter()
    for k in range(20_000):
        log.submit(f"r{k}", "/predict", "1", values(spec, k), 1.0)
    per_call = (time.perf_counter() - start) / 20_000
    assert outage.attempts == 1 and log.pending == 20_001
    assert per_call < 50e-6, f"submit took {per_call * 1e6:.1f} µs"
    outage.blocked.clear()
    outage.up.set()
    log.stop()
    assert log.pending == 0
