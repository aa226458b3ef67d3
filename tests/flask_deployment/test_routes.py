"""Route tests with Flask's test client: the page, valid and invalid posts, CSRF, the service down.

The prediction service is a real HTTP stand-in on loopback (tests/flask_deployment/fake_api.py);
MongoDB is an in-memory store here (the real MongoDB-wire server is in tests/integration).
"""

from __future__ import annotations

import html
import logging
import re
from urllib.parse import urlencode

import pytest

from flask_deployment.app import create_app
from flask_deployment.security import ConfigurationError
from flask_deployment.submissions import new_request_id, submission_document
from paris_housing.contract import Prediction
from paris_housing.datasets import KAGGLE
from paris_housing.settings import get_settings
from tests.flask_deployment.fake_api import MODEL_NAME, MODEL_VERSION, fake_price
from tests.flask_deployment.helpers import csrf_token, expected_inputs, form_data


def _text(page: str) -> str:
    """The page's visible text, tags removed and entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _field_error(page: str, name: str) -> str:
    match = re.search(rf'<p class="error" id="{name}-error">([^<]*)</p>', page)
    assert match, f"no error shown for {name}"
    return html.unescape(match.group(1))


def test_form_is_generated_from_the_spec(client):
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Estimate a price · Paris home price estimate</title>" in page
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
    assert 'rel="icon" href="/static/favicon.svg"' in page
    assert client.get("/static/favicon.svg").status_code == 200
    for column in KAGGLE.features:
        assert f'name="{column.name}"' in page
        assert f">{column.label}" in page
    area = re.search(r"<input[^>]*id=\"squareMeters\"[^>]*>", page).group(0)
    for attribute in ('type="number"', 'min="1"', 'max="100000"', 'step="1"', 'value="50000"'):
        assert attribute in area
    assert 'Living area <span class="unit">(m²)</span>' in page
    assert "Floor area of the home. A whole number from 1 to 100,000 m²." in page
    assert "A whole number from 1900 to 2030." in page
    pool = re.search(r"<input[^>]*id=\"hasPool\"[^>]*>", page).group(0)
    assert 'type="checkbox"' in pool and 'value="1"' in pool and "checked" not in pool


def test_rarely_known_fields_are_folded_under_more_details(client):
    page = client.get("/").get_data(as_text=True)
    details = page[page.index("<details>") : page.index("</details>")]
    folded = {c.name for c in KAGGLE.features if c.details}
    assert folded == {"cityCode", "numPrevOwners", "basement", "attic", "garage"} | {
        "hasStorageRoom",
        "hasGuestRoom",
    }
    for column in KAGGLE.features:
        assert (f'name="{column.name}"' in details) is column.details


def test_valid_submission_shows_the_estimate_and_stores_it(submit, web_env, store):
    data = form_data()
    status, page = submit(data)
    assert status == 200, _text(page)
    inputs = expected_inputs(data)
    price = fake_price(inputs)
    assert price == 12_000.4
    assert 'id="price" data-price="12000.40" data-currency="EUR">€12,000</p>' in page
    assert f'version <code id="model-version">{MODEL_VERSION}</code>' in page
    assert f"Model <code>{MODEL_NAME}</code>" in page
    request_id = re.search(r'<code id="request-id">([0-9a-f]{32})</code>', page).group(1)

    [call] = web_env.predictions()
    assert call.body == inputs
    assert all(isinstance(v, int) and not isinstance(v, bool) for v in call.body.values())
    assert call.headers["x-request-id"] == request_id

    [document] = store.documents.values()
    assert document["_id"] == document["request_id"] == request_id
    assert document["status"] == "estimated"
    assert document["inputs"] == inputs
    assert document["estimate"] == {"price": price, "currency": "EUR"}
    assert document["model"] == {"name": MODEL_NAME, "version": MODEL_VERSION}
    assert document["created_at"].tzinfo is not None and document["error"] is None
    assert "Living area 120 m²" in _text(page) and "Year built 1998" in _text(page)


def test_a_post_redirects_to_its_result_and_a_reload_stores_nothing(client, web_env, store):
    token = csrf_token(client.get("/").get_data(as_text=True))
    posted = client.post("/", data={**form_data(), "csrf_token": token})
    assert posted.status_code == 303
    [request_id] = store.documents
    assert posted.headers["Location"] == f"/estimates/{request_id}"
    first = client.get(posted.headers["Location"])
    again = client.get(posted.headers["Location"])
    assert first.status_code == again.status_code == 200
    assert first.get_data(as_text=True) == again.get_data(as_text=True)
    assert "€12,000" in first.get_data(as_text=True)
    assert first.headers["Cache-Control"] == "no-store"
    assert (store.inserts, len(store.documents), len(web_env.predictions())) == (1, 1, 1)


def test_the_result_page_reads_the_outbox_while_mongodb_is_down(submit, store):
    store.down = True
    status, page = submit(form_data())
    assert status == 200 and "€12,000" in page
    assert store.documents == {} and store.finds == 0  # the outbox had it


def test_the_result_page_shows_an_older_submission_from_mongodb(client, store):
    request_id = new_request_id()
    answer = Prediction(
        request_id=request_id,
        price=1_234_567.8,
        currency="EUR",
        model_name=MODEL_NAME,
        model_version="2",
    )
    inputs = expected_inputs(form_data())
    store.documents[request_id] = submission_document(
        request_id=request_id, spec=KAGGLE, inputs=inputs, estimate=answer
    )
    page = client.get(f"/estimates/{request_id}").get_data(as_text=True)
    assert "€1,234,568" in page and 'id="model-version">2</code>' in page
    assert "Living area 120 m²" in _text(page)
    store.down = True
    response = client.get(f"/estimates/{request_id}")
    assert response.status_code == 503
    assert "Your estimate is saved, but it cannot be shown right now." in _text(
        response.get_data(as_text=True)
    )


@pytest.mark.parametrize("reference", ["0" * 32, "not-a-reference", "$where", "A" * 32])
def test_an_unknown_reference_is_a_clear_404(client, store, reference):
    response = client.get(f"/estimates/{reference}")
    page = _text(response.get_data(as_text=True))
    assert response.status_code == 404
    assert f"No estimate has the reference {reference}." in page and "Back to the form" in page
    assert store.finds == (1 if reference == "0" * 32 else 0)


def test_a_submission_kept_without_an_estimate_has_no_result_page(client, submit, web_env, store):
    web_env.mode = "unavailable"
    status, _ = submit(form_data())
    [request_id] = store.documents
    assert status == 503
    assert client.get(f"/estimates/{request_id}").status_code == 404


def test_fields_beyond_the_contract_are_neither_read_nor_stored(submit, web_env, store):
    web_env.extra = {"interval": {"low": 11_000.0, "high": 13_250.9}, "reasons": ["a yard"]}
    status, page = submit(form_data())
    assert status == 200 and "€12,000" in page
    assert "11,000" not in page and "a yard" not in page
    [document] = store.documents.values()
    assert set(document["estimate"]) == {"price", "currency"}


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("squareMeters", "0", "0 must be a whole number from 1 to 100,000 m²."),
        ("numberOfRooms", "4.5", "4.5 must be a whole number from 1 to 100."),
        ("made", "1850", "1850 must be a whole number from 1900 to 2030."),
        ("floors", "", "This field is required (must be a whole number from 1 to 100)."),
        ("cityPartRange", "ten", "'ten' is not a number (must be a whole number from 1 to 10)."),
        ("garage", "1e9", "1e9 must be a whole number from 0 to 1,000 m²."),
        ("hasPool", "2", "2 must be 0 (no) or 1 (yes)."),
        ("hasPool", "0.9999999999", "0.9999999999 must be 0 (no) or 1 (yes)."),
        (
            "numberOfRooms",
            "１２３",
            "'１２３' is not a number (must be a whole number from 1 to 100).",
        ),
        ("floors", "٣", "'٣' is not a number (must be a whole number from 1 to 100)."),
        (
            "cityCode",
            "75_523",
            "'75_523' is not a number (must be a whole number from 1 to 100,000).",
        ),
    ],
)
def test_invalid_value_gets_a_field_message_and_is_never_stored(
    submit, web_env, store, field, value, message
):
    status, page = submit(form_data(**{field: value}))
    assert status == 422
    assert _field_error(page, field) == message
    assert 'aria-invalid="true"' in re.search(rf'<input[^>]*id="{field}"[^>]*>', page).group(0)
    assert "One answer needs a change" in _text(page) and "Nothing was saved." in page
    assert store.documents == {} and web_env.predictions() == []


def test_an_error_in_a_folded_field_opens_more_details(submit):
    status, page = submit(form_data(garage="-1"))
    assert status == 422 and "<details open>" in page
    assert 'value="-1"' in re.search(r'<input[^>]*id="garage"[^>]*>', page).group(0)


def test_missing_field_is_required(submit, store):
    status, page = submit(form_data(squareMeters=None))
    assert status == 422 and "This field is required" in _field_error(page, "squareMeters")
    assert store.documents == {}


def test_post_without_csrf_token_is_refused_and_nothing_is_stored(client, web_env, store):
    client.get("/")
    response = client.post("/", data=form_data())
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This form has expired or was not sent from this site, so nothing was saved." in page
    assert store.documents == {} and web_env.predictions() == []


def test_post_with_a_forged_csrf_token_is_refused(client, store):
    client.get("/")
    response = client.post("/", data={**form_data(), "csrf_token": "forged.token.value"})
    assert response.status_code == 400 and store.documents == {}


def test_service_down_keeps_the_submission_with_its_status(monkeypatch, store):
    from tests.servers import free_port

    monkeypatch.setenv("FLASK_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("PARIS_HOUSING_API_URL", f"http://127.0.0.1:{free_port()}")
    get_settings.cache_clear()
    client = create_app(store=store, start_relay=False).test_client()
    token = csrf_token(client.get("/").get_data(as_text=True))
    response = client.post("/", data={**form_data(), "csrf_token": token})
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    text = _text(page)
    assert "No estimate right now" in text
    assert "Reason: the price service cannot be reached" in text
    assert "127.0.0.1" not in text  # no internal address shown to visitors
    [document] = store.documents.values()
    assert document["status"] == "api_unavailable" and document["estimate"] is None
    assert "cannot be reached" in document["error"] and "127.0.0.1" in document["error"]
    assert document["request_id"] in page
    assert document["inputs"] == expected_inputs(form_data())
    assert 'value="120"' in re.search(r'<input[^>]*id="squareMeters"[^>]*>', page).group(0)


@pytest.mark.parametrize(
    "mode, public, stored",
    [
        (
            "unavailable",
            "has no model ready yet",
            "HTTP 503: no champion model in the registry yet",
        ),
        ("slow", "did not answer in time", "did not answer in time"),
        ("garbage", "gave an answer we could not read", "price: Input should be a valid number"),
    ],
)
def test_service_without_an_answer_is_a_clear_message(submit, web_env, store, mode, public, stored):
    web_env.mode, web_env.delay = mode, 3.0
    status, page = submit(form_data())
    assert status == 503 and public in _text(page)
    [document] = store.documents.values()
    assert document["status"] == "api_unavailable" and stored in document["error"]


def test_service_rejection_is_shown_on_the_field_and_not_stored(submit, web_env, store):
    web_env.mode = "reject"
    status, page = submit(form_data())
    assert status == 422
    assert _field_error(page, "floors") == "floors: 99 must be a whole number from 1 to 50"
    assert "the home is not in Paris" in _text(page)
    assert store.documents == {}


@pytest.mark.parametrize(
    "value", ['{"$gt": ""}', "$where", "this.price > 0 || true", "'; db.dropDatabase(); '"]
)
def test_query_operators_are_rejected_as_values(submit, web_env, store, value):
    status, page = submit(form_data(squareMeters=value))
    assert status == 422
    assert _field_error(page, "squareMeters").startswith(f"{value!r} is not a number")
    assert store.documents == {} and web_env.predictions() == []


def test_unknown_fields_are_ignored_and_never_stored(submit, store):
    status, _ = submit({**form_data(), "$where": "sleep(1000)", "price": "1", "_id": "x"})
    assert status == 200
    [document] = store.documents.values()
    assert set(document["inputs"]) == set(KAGGLE.feature_names)
    assert "$where" not in str(document) and document["_id"] != "x"


def test_markup_in_a_value_is_escaped(submit):
    status, page = submit(form_data(numberOfRooms="<script>alert(1)</script>"))
    assert status == 422
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_every_response_has_security_headers(client, submit):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src" not in csp  # no script at all: the page works without JavaScript
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Strict-Transport-Security" not in response.headers
    status, _ = submit(form_data())
    assert status == 200


def test_https_deployments_get_hsts_and_secure_cookies(monkeypatch, web_env, store):
    del web_env
    monkeypatch.setenv("PARIS_HOUSING_WEB_HTTPS", "true")
    get_settings.cache_clear()
    response = create_app(store=store, start_relay=False).test_client().get("/")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Secure" in response.headers["Set-Cookie"]


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, store):
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError, match="no secret key: set FLASK_SECRET_KEY"):
        create_app(store=store, start_relay=False)
    monkeypatch.setenv("FLASK_SECRET_KEY", "short")
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError, match="5 characters long, too short"):
        create_app(store=store, start_relay=False)


def test_development_mode_makes_a_throw_away_key(monkeypatch, store):
    monkeypatch.setenv("PARIS_HOUSING_WEB_DEBUG", "true")
    get_settings.cache_clear()
    first = create_app(store=store, start_relay=False).config["SECRET_KEY"]
    second = create_app(store=store, start_relay=False).config["SECRET_KEY"]
    assert len(first) == 64 and first != second


def test_health_reports_the_outbox(client, submit, store):
    assert client.get("/healthz").get_json() == {
        "status": "ok",
        "mongodb": "up",
        "outbox_pending": 0,
    }
    store.down = True
    submit(form_data())
    assert client.get("/healthz").get_json() == {
        "status": "ok",
        "mongodb": "down",
        "outbox_pending": 1,
    }


def test_unknown_page_and_oversized_body_are_pages(client):
    missing = client.get("/nowhere")
    assert missing.status_code == 404 and "Not Found" in missing.get_data(as_text=True)
    big = client.post("/", data={"squareMeters": "1" * 20_000})
    assert big.status_code == 413
    assert client.get("/favicon.ico").headers["Location"].endswith("/static/favicon.svg")


def test_a_form_that_is_not_utf8_is_refused_as_unreadable(client, web_env, store, caplog):
    token = csrf_token(client.get("/").get_data(as_text=True))
    body = urlencode({**form_data(), "csrf_token": token}).encode()
    body = body.replace(b"squareMeters=", b"squareMeters=\xff", 1)
    with caplog.at_level(logging.WARNING):
        response = client.post("/", data=body, content_type="application/x-www-form-urlencoded")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Your input could not be read (it is not text in UTF-8), so nothing was saved." in page
    assert "expired" not in page and "CSRF" not in caplog.text
    assert "byte 0xff at position" in caplog.text
    assert store.documents == {} and web_env.predictions() == []
