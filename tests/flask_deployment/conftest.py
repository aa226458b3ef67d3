"""Fixtures of the web form's tests: the prediction service's stand-in, the app, its client."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_deployment.app import create_app
from paris_housing.settings import get_settings
from tests.flask_deployment.fake_api import FakeApi
from tests.flask_deployment.helpers import TEST_SECRET_KEY, MemoryStore, csrf_token


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    """The prediction service's stand-in on a free loopback port."""
    api = FakeApi().start()
    yield api
    api.stop()


@pytest.fixture
def web_env(monkeypatch: pytest.MonkeyPatch, fake_api: FakeApi) -> FakeApi:
    """Settings of a production-mode app that talks to the stand-in."""
    monkeypatch.setenv("FLASK_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.setenv("PARIS_HOUSING_API_URL", fake_api.url)
    monkeypatch.setenv("PARIS_HOUSING_WEB_API_TIMEOUT_SECONDS", "1")
    get_settings.cache_clear()
    return fake_api


@pytest.fixture
def store() -> MemoryStore:
    """MongoDB's stand-in for route tests (MongoDB itself is in tests/integration)."""
    return MemoryStore()


@pytest.fixture
def app(web_env: FakeApi, store: MemoryStore) -> Iterator[Flask]:
    """The app, with its background drainer off so that tests see each step."""
    del web_env
    flask_app = create_app(store=store, start_relay=False)
    yield flask_app
    flask_app.extensions["paris_housing_web"].predictor.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser-like client (keeps the session cookie)."""
    return app.test_client()


@pytest.fixture
def submit(client: FlaskClient) -> Callable[[dict[str, str]], tuple[int, str]]:
    """Open the form, then post ``data`` with the page's CSRF token, following a redirect as a
    browser does; the final status and page."""

    def post(data: dict[str, str]) -> tuple[int, str]:
        token = csrf_token(client.get("/").get_data(as_text=True))
        response = client.post("/", data={**data, "csrf_token": token}, follow_redirects=True)
        return response.status_code, response.get_data(as_text=True)

    return post
