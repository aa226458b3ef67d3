"""MongoDB stopped in the middle of a burst of submissions, then restarted: nothing lost, nothing
twice. The form runs under gunicorn (2 workers, as deployed) against a real ``nx-27017``."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from pymongo import MongoClient

from tests.flask_deployment.fake_api import FakeApi
from tests.flask_deployment.helpers import form_data
from tests.flask_deployment.web_servers import post_form, start_mongo, start_web, web_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SUBMISSIONS = 60
STOP_AFTER = 15
RESTART_AFTER = 45


def _wait_until_drained(url: str, timeout: float = 60) -> tuple[dict, float]:
    """The form's health once its outbox is empty (or at the timeout), and how long it took."""
    started = time.monotonic()
    while True:
        health = httpx.get(f"{url}/healthz", timeout=5).json()
        waited = time.monotonic() - started
        if health["outbox_pending"] == 0 or waited > timeout:
            return health, waited
        time.sleep(0.1)


def _stored(uri: str) -> list[dict]:
    client: MongoClient = MongoClient(uri, serverSelectionTimeoutMS=5000)
    try:
        return list(client["paris_housing"]["submissions"].find())
    finally:
        client.close()


def test_mongodb_outage_during_a_burst_loses_nothing_and_writes_nothing_twice(tmp_path):
    mongo = start_mongo(tmp_path / "mongo")
    api = FakeApi().start()
    web, url = start_web(tmp_path, web_env(mongo.uri, api.url, tmp_path / ".local"))
    done = 0
    lock = threading.Lock()
    results: list[tuple[int, int, str | None, float]] = []
    waiting: list[dict] = []

    def one(i: int) -> None:
        nonlocal done
        started = time.monotonic()
        status, request_id, _ = post_form(url, form_data(squareMeters=str(1000 + i)))
        with lock:
            results.append((i, status, request_id, time.monotonic() - started))
            done += 1
            if done == STOP_AFTER:
                mongo.stop()
            elif done == RESTART_AFTER:
                waiting.append(httpx.get(f"{url}/healthz", timeout=5).json())
                mongo.start()

    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            list(pool.map(one, range(SUBMISSIONS)))
        assert mongo.process is not None and mongo.process.poll() is None, "restarted"
        health, drained_after = _wait_until_drained(url)
        documents = _stored(mongo.uri)
    finally:
        web.stop()
        api.stop()
        mongo.stop()

    assert health["outbox_pending"] == 0, health
    assert waiting[0]["mongodb"] == "down" and waiting[0]["outbox_pending"] >= 20, waiting
    assert sorted(status for _, status, _, _ in results) == [200] * SUBMISSIONS
    shown = {i: request_id for i, _, request_id, _ in results}
    assert len(documents) == SUBMISSIONS
    assert {d["_id"] for d in documents} == set(shown.values())
    for document in documents:
        i = document["inputs"]["squareMeters"] - 1000
        assert shown[i] == document["request_id"] == document["_id"]
        assert document["status"] == "estimated"
    seconds = sorted(s for *_, s in results)
    print(
        f"\n{SUBMISSIONS} submissions, MongoDB stopped after {STOP_AFTER} and restarted after "
        f"{RESTART_AFTER}: {waiting[0]['outbox_pending']} waited in the outbox, all stored once; "
        f"outbox empty {drained_after:.1f}s after the burst; submission p50 "
        f"{seconds[len(seconds) // 2] * 1000:.0f} ms, slowest {seconds[-1] * 1000:.0f} ms"
    )
    slowest = seconds[-1]
    assert slowest < 10, f"a submission waited {slowest:.1f}s"
    assert "MongoDB write failed, kept in the outbox" in web.tail(400)
