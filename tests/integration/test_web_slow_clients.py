"""Slow clients must not freeze the form: 50 connections that trickle their headers or their body
(one line or one byte a second) are open while other people probe ``/healthz`` and submit the
form, which the server started with ``paris-housing web``'s own command must answer at once."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.flask_deployment.fake_api import FakeApi
from tests.flask_deployment.helpers import form_data
from tests.flask_deployment.web_servers import post_form, start_mongo, start_web, web_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SLOW_CLIENTS = 50
TRICKLE_SECONDS = 1.0
ANSWER_SECONDS = 2.0


def _open_slow_clients(port: int, count: int) -> list[socket.socket]:
    """Half send a request line and never finish their headers; half declare a body of 1,000
    bytes and never finish it."""
    sockets = []
    for index in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        head = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if index % 2:
            head += b"Content-Type: application/x-www-form-urlencoded\r\n"
            head += b"Content-Length: 1000\r\n\r\na"
        sock.sendall(head)
        sockets.append(sock)
    return sockets


def _trickle(sockets: list[socket.socket], stop: threading.Event) -> None:
    """One more header line (or body byte) on each connection every ``TRICKLE_SECONDS``."""
    while not stop.wait(TRICKLE_SECONDS):
        for index, sock in enumerate(sockets):
            try:
                sock.sendall(b"a" if index % 2 else b"X-Slow: 1\r\n")
            except OSError:
                pass


@pytest.fixture
def web(tmp_path) -> Iterator[str]:
    api = FakeApi().start()
    mongo = start_mongo(tmp_path / "mongo")
    server, url = start_web(tmp_path, web_env(mongo.uri, api.url, tmp_path / ".local"))
    try:
        yield url
    finally:
        server.stop()
        mongo.stop()
        api.stop()


def test_the_form_answers_others_while_50_slow_clients_trickle(web):
    port = int(web.rsplit(":", 1)[1])
    assert post_form(web, form_data(), timeout=30)[0] == 200  # warm both paths first
    sockets = _open_slow_clients(port, SLOW_CLIENTS)
    stop = threading.Event()
    trickler = threading.Thread(target=_trickle, args=(sockets, stop), daemon=True)
    trickler.start()
    try:
        time.sleep(3 * TRICKLE_SECONDS)
        probes = []
        for _ in range(5):
            started = time.monotonic()
            try:
                status = httpx.get(f"{web}/healthz", timeout=ANSWER_SECONDS).status_code
            except httpx.TimeoutException:
                status = None
            probes.append((status, round(time.monotonic() - started, 2)))
        started = time.monotonic()
        try:
            status, request_id, _ = post_form(web, form_data(), timeout=ANSWER_SECONDS)
        except httpx.TimeoutException:
            status, request_id = None, None
        submission = (status, round(time.monotonic() - started, 2))
        still_open = sum(1 for sock in sockets if sock.fileno() != -1)
    finally:
        stop.set()
        trickler.join(5)
        for sock in sockets:
            sock.close()
    assert still_open == SLOW_CLIENTS
    assert all(status == 200 for status, _ in probes), probes
    assert submission[0] == 200 and request_id is not None, submission
    assert max(seconds for _, seconds in probes) < ANSWER_SECONDS, probes
