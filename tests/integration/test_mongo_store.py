"""The submissions store against a real MongoDB-wire server (``nx-27017``) on loopback."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from flask_deployment.app import create_app
from flask_deployment.embedded_mongo import EmbeddedMongo
from flask_deployment.store import SubmissionStore
from flask_deployment.submissions import submission_document
from paris_housing.datasets import KAGGLE
from paris_housing.settings import get_settings
from tests.flask_deployment.fake_api import MODEL_VERSION, FakeApi, fake_price
from tests.flask_deployment.helpers import csrf_token, expected_inputs, form_data
from tests.flask_deployment.web_servers import start_mongo, web_env

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def mongo(tmp_path_factory) -> Iterator[EmbeddedMongo]:
    server = start_mongo(tmp_path_factory.mktemp("mongo"))
    yield server
    server.stop()


@pytest.fixture
def store(mongo) -> Iterator[SubmissionStore]:
    """A store on a fresh collection of the real server.

    (A random name: nx-27017 0.8 reports any index of a collection whose name contains "unique"
    as unique.)
    """
    submissions = SubmissionStore(mongo.uri, "paris_housing_test", f"c{uuid.uuid4().hex}", 2000)
    yield submissions
    submissions.close()


def test_indexes_on_time_and_a_unique_request_id(store):
    store.ensure_indexes()
    store.ensure_indexes()
    indexes = {
        tuple(key for key, _ in spec["key"]): spec.get("unique", False)
        for spec in store.collection.index_information().values()
    }
    assert indexes[("created_at",)] is False
    assert indexes[("request_id",)] is True


def test_a_document_lands_with_its_types_and_only_once(store):
    created = datetime(2026, 3, 4, 5, 6, 7, 123_000, tzinfo=UTC)
    inputs = {name: 3 for name in KAGGLE.feature_names}
    document = submission_document(
        request_id="f" * 32,
        spec=KAGGLE,
        inputs=inputs,
        estimate=None,
        error="down",
        created_at=created,
    )
    assert store.insert(document) is True
    assert store.insert(document) is False
    assert store.collection.count_documents({}) == 1
    stored = store.collection.find_one({"_id": "f" * 32})
    assert stored == document
    assert stored["created_at"] == created and isinstance(stored["inputs"]["made"], int)


def test_the_form_stores_submissions_in_mongodb(mongo, tmp_path, monkeypatch):
    api = FakeApi().start()
    for name, value in web_env(mongo.uri, api.url, tmp_path / ".local").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PARIS_HOUSING_MONGODB_COLLECTION", "form_submissions")
    get_settings.cache_clear()
    app = create_app(start_relay=False)
    client = app.test_client()

    def submit(data: dict[str, str]) -> tuple[int, str]:
        token = csrf_token(client.get("/").get_data(as_text=True))
        response = client.post("/", data={**data, "csrf_token": token}, follow_redirects=True)
        page = response.get_data(as_text=True)
        return response.status_code, re.search(r"<code[^>]*>([0-9a-f]{32})</code>", page).group(1)

    try:
        status, request_id = submit(form_data())
        api.mode = "unavailable"
        down_status, down_id = submit(form_data(squareMeters="99"))
    finally:
        api.stop()
    assert (status, down_status) == (200, 503)
    assert app.extensions["paris_housing_web"].relay.outbox.count() == 0

    collection = SubmissionStore(mongo.uri, "paris_housing", "form_submissions", 2000).collection
    estimated = collection.find_one({"request_id": request_id})
    inputs = expected_inputs(form_data())
    assert estimated["status"] == "estimated" and estimated["inputs"] == inputs
    assert estimated["estimate"]["price"] == fake_price(inputs)
    assert estimated["model"]["version"] == MODEL_VERSION
    assert abs((datetime.now(UTC) - estimated["created_at"]).total_seconds()) < 60
    kept = collection.find_one({"request_id": down_id})
    assert kept["status"] == "api_unavailable" and kept["inputs"]["squareMeters"] == 99
    assert kept["estimate"] is None and "HTTP 503" in kept["error"]
    assert collection.count_documents({}) == 2
