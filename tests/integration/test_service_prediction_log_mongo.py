"""The prediction log in MongoDB (a real MongoDB-wire server, ``nx-27017``, on loopback): every
prediction lands once, typed; while the server is down they wait, then land, never twice."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pymongo import MongoClient

from tests.flask_deployment.web_servers import start_mongo
from webservice.prediction_log import PredictionLog
from webservice.sinks import MongoSink, Record

pytestmark = pytest.mark.integration


@pytest.fixture
def mongo(tmp_path) -> Iterator:
    server = start_mongo(tmp_path / "mongo")
    yield server
    server.stop()


def values(spec, k: int) -> tuple[float, ...]:
    return tuple(float(c.minimum + k % 2) for c in spec.features)


def documents(uri: str, collection: str) -> list[dict]:
    with MongoClient(uri, serverSelectionTimeoutMS=3000) as client:
        return list(client["paris_housing_test"][collection].find({}, {"_id": 0}))


def test_every_prediction_lands_once_with_its_fields(mongo, spec):
    collection = f"c{uuid.uuid4().hex}"
    sink = MongoSink(mongo.uri, "paris_housing_test", collection, 2.0, Record.for_spec(spec))
    log = PredictionLog(sink, batch_rows=300, flush_seconds=0.05, max_pending=10_000)
    log.start()
    for k in range(700):  # several batches, each sent in slices
        log.submit(f"r{k}", "/predict", "4", values(spec, k), 1000.0 + k)
    log.stop()
    stored = documents(mongo.uri, collection)
    assert len(stored) == 700
    assert len({d["request_id"] for d in stored}) == 700
    first = next(d for d in stored if d["request_id"] == "r1")
    assert first["price"] == 1001.0 and first["model_version"] == "4"
    assert first["squareMeters"] == 2 and isinstance(first["squareMeters"], int)
    assert first["dataset"] == "kaggle" and first["currency"] == "EUR"
    written_at = first["timestamp"].replace(tzinfo=UTC)  # BSON dates are UTC
    assert abs((datetime.now(UTC) - written_at).total_seconds()) < 120


def test_while_mongodb_is_down_predictions_wait_and_land_once(mongo, spec):
    collection = f"c{uuid.uuid4().hex}"
    sink = MongoSink(mongo.uri, "paris_housing_test", collection, 0.5, Record.for_spec(spec))
    log = PredictionLog(sink, batch_rows=50, flush_seconds=0.05, max_pending=10_000)
    log.start()
    for k in range(60):
        log.submit(f"a{k}", "/predict", "4", values(spec, k), float(k))
    deadline = time.monotonic() + 10
    while log.pending and time.monotonic() < deadline:
        time.sleep(0.05)
    assert log.pending == 0
    mongo.stop()
    for k in range(40):
        log.submit(f"b{k}", "/predict", "4", values(spec, k), float(k))
    deadline = time.monotonic() + 10
    while log.last_error is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert log.last_error is not None and log.pending == 40
    assert mongo.start()
    deadline = time.monotonic() + 30
    while log.pending and time.monotonic() < deadline:
        time.sleep(0.1)
    log.stop()
    stored = documents(mongo.uri, collection)
    ids = [d["request_id"] for d in stored]
    assert len(ids) == 100 and len(set(ids)) == 100
