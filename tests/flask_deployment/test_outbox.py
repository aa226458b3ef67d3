"""The durable outbox and the relay that moves its documents to the store, exactly once."""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from flask_deployment import outbox as outbox_module
from flask_deployment.outbox import KEEP_DELIVERED_SECONDS, Outbox, decode, encode
from flask_deployment.relay import Relay, StoreUnreachable
from flask_deployment.submissions import new_request_id, submission_document
from paris_housing.datasets import KAGGLE
from tests.flask_deployment.helpers import MemoryStore

INPUTS = {name: 1 for name in KAGGLE.feature_names}


def _document(request_id: str | None = None) -> dict:
    return submission_document(
        request_id=request_id or new_request_id(),
        spec=KAGGLE,
        inputs=INPUTS,
        estimate=None,
        error="down",
        created_at=datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC),
    )


@pytest.fixture
def outbox(tmp_path) -> Outbox:
    return Outbox(tmp_path / "outbox.sqlite")


def _relay(outbox: Outbox, store: MemoryStore, retry: float = 0.05) -> Relay:
    return Relay(outbox, store, retry, errors=(OSError,))


def test_documents_round_trip_with_their_datetime():
    document = _document("a" * 32)
    assert decode(encode(document)) == document
    assert decode(encode(document))["created_at"].tzinfo is UTC


def test_a_submission_needs_every_feature():
    with pytest.raises(ValueError, match="missing: made"):
        submission_document(
            request_id="x",
            spec=KAGGLE,
            inputs={k: v for k, v in INPUTS.items() if k != "made"},
            estimate=None,
        )


def test_outbox_survives_a_new_process_and_ignores_a_second_add(outbox, tmp_path):
    first, second = _document(), _document()
    outbox.add(first)
    outbox.add(second)
    outbox.add(first)
    reopened = Outbox(tmp_path / "outbox.sqlite")
    assert reopened.count() == 2
    assert [p.document for p in reopened.pending()] == [first, second]
    reopened.failed(first["_id"], "timeout")
    assert reopened.get(first["_id"]).attempts == 1
    reopened.delivered(first["_id"])
    assert [p.request_id for p in outbox.pending()] == [second["_id"]]


def test_submit_delivers_at_once_when_the_store_is_up(outbox):
    store = MemoryStore()
    relay = _relay(outbox, store)
    document = _document()
    assert relay.submit(document) is True
    assert store.documents == {document["_id"]: document} and outbox.count() == 0


def test_store_down_keeps_documents_and_stops_trying_in_requests(outbox):
    store = MemoryStore()
    store.down = True
    relay = _relay(outbox, store)
    documents = [_document() for _ in range(5)]
    assert [relay.submit(d) for d in documents] == [False] * 5
    assert store.inserts == 1  # after the first failure, requests no longer wait for the store
    assert outbox.count() == 5 and not relay.store_up
    assert relay.drain() == 0 and outbox.get(documents[0]["_id"]).attempts == 2

    store.down = False
    assert relay.drain() == 5
    assert list(store.documents) == [d["_id"] for d in documents]  # oldest first
    assert outbox.count() == 0 and relay.store_up


def test_a_lost_acknowledgement_does_not_write_twice(outbox):
    """The store wrote the document but the answer was lost: the retry finds it there."""
    store = MemoryStore()
    relay = _relay(outbox, store)
    document = _document()
    store.documents[document["_id"]] = document
    outbox.add(document)
    assert relay.drain() == 1
    assert len(store.documents) == 1 and outbox.count() == 0


def test_background_drainer_delivers_when_the_store_comes_back(outbox):
    store = MemoryStore()
    store.down = True
    relay = _relay(outbox, store)
    relay.start()
    try:
        documents = [_document() for _ in range(20)]
        for document in documents:
            relay.submit(document)
        store.down = False
        deadline = time.monotonic() + 5
        while outbox.count() and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        relay.stop()
    assert outbox.count() == 0
    assert sorted(store.documents) == sorted(d["_id"] for d in documents)


def test_concurrent_submits_and_drains_store_each_document_once(outbox):
    store = MemoryStore()
    relay = _relay(outbox, store)
    documents = [_document() for _ in range(40)]
    store.down = True
    for document in documents[:20]:
        relay.submit(document)
    store.down = False

    threads = [threading.Thread(target=relay.drain) for _ in range(3)]
    threads += [threading.Thread(target=relay.submit, args=(d,)) for d in documents[20:]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    relay.drain()
    assert sorted(store.documents) == sorted(d["_id"] for d in documents)
    assert outbox.count() == 0


def test_a_delivered_document_stays_readable_for_a_while_then_goes(outbox, monkeypatch):
    document = _document()
    outbox.add(document)
    outbox.delivered(document["_id"])
    assert outbox.count() == 0 and outbox.pending() == [] and outbox.get(document["_id"]) is None
    assert outbox.recent(document["_id"]) == document
    later = time.time() + KEEP_DELIVERED_SECONDS + 1
    monkeypatch.setattr(outbox_module.time, "time", lambda: later)
    other = _document()
    outbox.add(other)
    outbox.delivered(other["_id"])
    assert outbox.recent(document["_id"]) is None and outbox.recent(other["_id"]) == other


def test_an_outbox_written_by_the_previous_version_is_upgraded(tmp_path):
    path = tmp_path / "old.sqlite"
    with closing(sqlite3.connect(path)) as db:
        db.execute(
            "CREATE TABLE outbox (request_id TEXT PRIMARY KEY, document TEXT NOT NULL, "
            "queued_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT)"
        )
        db.execute("INSERT INTO outbox VALUES ('a', ?, 1.0, 0, NULL)", (encode(_document("a")),))
        db.commit()
    outbox = Outbox(path)
    assert [p.request_id for p in outbox.pending()] == ["a"]
    outbox.delivered("a")
    assert outbox.count() == 0 and outbox.recent("a")["_id"] == "a"


def test_the_relay_finds_a_submission_wherever_it_is(outbox):
    store = MemoryStore()
    relay = _relay(outbox, store)
    waiting, delivered, old = _document(), _document(), _document()
    store.down = True
    relay.submit(waiting)
    store.down = False
    relay.submit(delivered)
    store.documents[old["_id"]] = old  # delivered long ago: only MongoDB has it
    assert relay.find(waiting["_id"]) == waiting
    assert relay.find(delivered["_id"]) == delivered
    assert relay.find(old["_id"]) == old and relay.find("f" * 32) is None
    store.down = True
    assert relay.find(delivered["_id"]) == delivered  # from the outbox, MongoDB not asked
    with pytest.raises(StoreUnreachable, match="cannot be read: store is down"):
        relay.find(old["_id"])


class ForgetfulStore(MemoryStore):
    """Acknowledges the first ``lose`` writes and keeps none of them; after that it may also
    answer "duplicate key" for a document it does not hold (as ``nx-27017`` does for any SQLite
    integrity error)."""

    def __init__(self, lose: int, false_duplicates: int = 0) -> None:
        super().__init__()
        self.lose = lose
        self.false_duplicates = false_duplicates

    def insert(self, document: dict) -> bool:
        with self._lock:
            if self.lose > 0:
                self.lose -= 1
                self.inserts += 1
                return True
            if self.false_duplicates > 0:
                self.false_duplicates -= 1
                self.inserts += 1
                return False
        return super().insert(document)


@pytest.mark.parametrize("lose, false_duplicates", [(1, 0), (0, 1), (2, 3)])
def test_a_write_acknowledged_then_lost_stays_in_the_outbox_until_read_back(
    outbox, lose, false_duplicates
):
    store = ForgetfulStore(lose, false_duplicates)
    relay = _relay(outbox, store)
    documents = [_document() for _ in range(3)]
    assert relay.submit(documents[0]) is False
    assert outbox.count() == 1 and not relay.store_up
    for document in documents[1:]:
        relay.submit(document)
    for _ in range(lose + false_duplicates + 1):
        relay.drain()
    assert outbox.count() == 0
    assert sorted(store.documents) == sorted(d["_id"] for d in documents)
    assert store.finds >= len(documents)


def test_a_lost_write_is_counted_with_its_reason(outbox, tmp_path):
    relay = _relay(outbox, ForgetfulStore(lose=1))
    document = _document()
    relay.submit(document)
    waiting = outbox.get(document["_id"])
    assert waiting is not None and waiting.attempts == 1
    with closing(sqlite3.connect(tmp_path / "outbox.sqlite")) as db:
        (error,) = db.execute(
            "SELECT last_error FROM outbox WHERE request_id = ?", (document["_id"],)
        ).fetchone()
    assert error == (
        f"MongoDB inserted it but submission {document['_id']} cannot be read back: "
        "kept in the outbox"
    )


def _open_outbox(path: str, start: float) -> str:
    while time.time() < start:  # every process opens the new file at the same instant
        pass
    try:
        Outbox(Path(path))
    except Exception as exc:  # pylint: disable=broad-exception-caught
        return f"{type(exc).__name__}: {exc}"
    return "ok"


def test_workers_that_open_a_new_outbox_together_all_boot(tmp_path):
    """gunicorn's workers boot together; none may fail on the file's journal switch."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        outcomes = []
        for attempt in range(10):
            start = time.time() + 1.0
            path = str(tmp_path / f"outbox-{attempt}.sqlite")
            outcomes += pool.starmap(_open_outbox, [(path, start)] * 4)
    assert outcomes == ["ok"] * 40, [o for o in outcomes if o != "ok"][:3]
