"""Issue 10's outage sequence against a real ``nx-27017`` and the form under gunicorn (2 workers):
one submission, MongoDB stopped (SIGTERM or kill -9) and waited for, five submissions, MongoDB
restarted on the same data and port (optionally with a burst after it); every accepted
submission then is in MongoDB exactly once, on either store layout (``--data-dir``, ``--db``).
The same sequence against a server that acknowledges two writes after the restart and then drops
them (a trigger in its SQLite file) lost 2 of 6 before the relay read each delivery back."""

from __future__ import annotations

import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from pathlib import Path

import httpx
import pytest
from pymongo import MongoClient

from flask_deployment.embedded_mongo import EmbeddedMongo
from tests.flask_deployment.fake_api import FakeApi
from tests.flask_deployment.helpers import form_data
from tests.flask_deployment.web_servers import post_form, start_web, web_env
from tests.servers import Server, free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DRAIN_TIMEOUT = 30.0
BURST = 12
LOST_WRITES = 2


def _request_ids(uri: str) -> Counter[str]:
    """How many documents MongoDB holds per request id."""
    client: MongoClient = MongoClient(uri, serverSelectionTimeoutMS=5000)
    try:
        return Counter(d["request_id"] for d in client["paris_housing"]["submissions"].find())
    finally:
        client.close()


def _submit(url: str, n: int, start: int, parallel: int = 1) -> list[str]:
    """Post ``n`` forms; the request ids shown (each must get its estimate)."""

    def one(i: int) -> str:
        status, request_id, page = post_form(url, form_data(squareMeters=str(1000 + i)))
        assert status == 200 and request_id is not None, page[-500:]
        return request_id

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        return list(pool.map(one, range(start, start + n)))


def _wait_until_all_stored(url: str, uri: str, accepted: list[str]) -> tuple[Counter, float]:
    """MongoDB's counts once it holds every accepted submission and the outbox is empty (or at
    the timeout), and how long that took."""
    started = time.monotonic()
    while True:
        waited = time.monotonic() - started
        try:
            stored = _request_ids(uri)
            pending = httpx.get(f"{url}/healthz", timeout=5).json()["outbox_pending"]
        except Exception:  # pylint: disable=broad-exception-caught
            stored, pending = Counter(), -1
        if (pending == 0 and set(accepted) <= set(stored)) or waited > DRAIN_TIMEOUT:
            return stored, waited
        time.sleep(0.25)


def _make_it_lose_writes(db_path: Path, writes: int) -> None:
    """Make the stopped server's SQLite file drop the next ``writes`` inserted documents right
    after the insert succeeds: the restarted server acknowledges them and then does not have
    them (the stand-in for a server that loses acknowledged writes)."""
    with closing(sqlite3.connect(db_path)) as db:
        db.executescript(f"""
            CREATE TABLE lose_budget (n INTEGER NOT NULL);
            INSERT INTO lose_budget VALUES ({writes});
            CREATE TRIGGER lose_acknowledged AFTER INSERT ON submissions
            WHEN (SELECT n FROM lose_budget) > 0
            BEGIN
                DELETE FROM submissions WHERE id = NEW.id;
                UPDATE lose_budget SET n = n - 1;
            END;
            """)


def _lost_budget(db_path: Path) -> int:
    with closing(sqlite3.connect(db_path)) as db:
        return db.execute("SELECT n FROM lose_budget").fetchone()[0]


@contextmanager
def _form_on_mongo(tmp_path: Path, layout: str) -> Iterator[tuple[EmbeddedMongo, Server, str]]:
    """MongoDB (nx-27017 on a data folder or one file), a stand-in API and the real web form
    (gunicorn, 2 workers), stopped at the end whatever happened."""
    data_dir = tmp_path / "mongo"
    db_file = data_dir / "nx-27017.db" if layout == "db-file" else None
    mongo = EmbeddedMongo(data_dir, free_port(), db_file)
    assert mongo.start()
    api = FakeApi().start()
    web, url = start_web(tmp_path, web_env(mongo.uri, api.url, tmp_path / ".local"))
    try:
        yield mongo, web, url
    finally:
        web.stop()
        api.stop()
        mongo.stop()


@pytest.mark.parametrize("layout", ["data-dir", "db-file"])
def test_writes_acknowledged_then_lost_after_the_restart_are_written_again(
    tmp_path: Path, layout: str
):
    with _form_on_mongo(tmp_path, layout) as (mongo, _, url):
        db_path = mongo.db_file or mongo.data_dir / "paris_housing.db"
        accepted = _submit(url, 1, 0)
        mongo.stop()
        _make_it_lose_writes(db_path, LOST_WRITES)
        accepted += _submit(url, 5, 1)
        assert mongo.start()
        stored, _ = _wait_until_all_stored(url, mongo.uri, accepted)

    assert _lost_budget(db_path) == 0, "the server lost no write: the test proves nothing"
    missing = [rid for rid in accepted if stored[rid] == 0]
    assert not missing, f"{len(missing)} of {len(accepted)} lost: {missing}"
    assert stored == Counter({rid: 1 for rid in accepted})
    with closing(sqlite3.connect(tmp_path / ".local" / "web-outbox.sqlite")) as outbox:
        (read_back_failures,) = outbox.execute(
            "SELECT COUNT(*) FROM outbox WHERE last_error LIKE '%cannot be read back%'"
        ).fetchone()
    assert 1 <= read_back_failures <= LOST_WRITES  # one row may be lost twice


@pytest.mark.parametrize("layout", ["data-dir", "db-file"])
@pytest.mark.parametrize(
    "stop_signal, burst_after_restart",
    [(signal.SIGTERM, False), (signal.SIGTERM, True), (signal.SIGKILL, False)],
    ids=["sigterm", "sigterm-then-burst", "kill-9"],
)
def test_outage_sequence_keeps_every_submission_exactly_once(
    tmp_path: Path, layout: str, stop_signal: signal.Signals, burst_after_restart: bool
):
    with _form_on_mongo(tmp_path, layout) as (mongo, web, url):
        accepted = _submit(url, 1, 0)
        mongo.stop(sig=stop_signal)
        assert mongo.process is not None and mongo.process.poll() is not None
        accepted += _submit(url, 5, 1)
        assert mongo.start(), "the old server still answered"
        if burst_after_restart:
            accepted += _submit(url, BURST, 6, parallel=6)
        stored, waited = _wait_until_all_stored(url, mongo.uri, accepted)

    assert len(set(accepted)) == len(accepted)
    missing = [rid for rid in accepted if stored[rid] == 0]
    twice = {rid: n for rid, n in stored.items() if n != 1}
    assert not missing, f"{len(missing)} of {len(accepted)} lost: {missing}"
    assert not twice, f"stored more than once: {twice}"
    assert set(stored) == set(accepted)
    assert "MongoDB write failed, kept in the outbox" in web.tail(400), "no direct write failed"
    print(
        f"\n{layout}, {stop_signal.name}: {len(accepted)} of {len(accepted)} stored once, "
        f"{waited:.1f}s after the last submission"
    )
