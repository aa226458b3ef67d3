"""Reading the prediction service's answers with the contract (pure), and the client against
the stand-in."""

from __future__ import annotations

import json

import pytest

from flask_deployment.predictions import (
    PredictionClient,
    ServiceRejected,
    ServiceUnavailable,
    parse_estimate,
    parse_rejection,
    unavailable,
)
from paris_housing.contract import ErrorBody, Prediction, Problem
from paris_housing.datasets import KAGGLE

BASE = {
    "request_id": "r1",
    "price": 123_456.7,
    "currency": "EUR",
    "model_name": "m",
    "model_version": "3",
}


def _json(body: object) -> bytes:
    return json.dumps(body).encode()


def test_an_answer_is_the_contract_s_prediction():
    estimate = parse_estimate(_json(BASE))
    assert estimate == Prediction(**BASE)


def test_fields_the_contract_does_not_have_are_ignored():
    estimate = parse_estimate(_json({**BASE, "interval": [1, 2], "reasons": ["a pool"]}))
    assert estimate.model_dump() == BASE


@pytest.mark.parametrize(
    ("content", "where"),
    [
        (b"not json", "the body: Invalid JSON"),
        (_json([]), "the body: Input should be an object"),
        (_json({**BASE, "price": None}), "price: Input should be a valid number"),
        (_json({**BASE, "price": "lots"}), "price: Input should be a valid number"),
        (_json({k: v for k, v in BASE.items() if k != "model_version"}), "model_version: Field"),
        (b'{"request_id": "r", "price": NaN}', "price: Input should be a finite number"),
    ],
)
def test_answers_that_do_not_follow_the_contract_are_unavailable(content, where):
    with pytest.raises(ServiceUnavailable) as caught:
        parse_estimate(content)
    assert "answered a 200 that does not follow the contract" in caught.value.reason
    assert where in caught.value.reason
    assert caught.value.public == "the price service gave an answer we could not read"


def _refusal(*problems: Problem, message: str = "refused") -> bytes:
    return (
        ErrorBody(request_id="r", error="validation", message=message, detail=list(problems))
        .model_dump_json()
        .encode()
    )


def test_rejections_are_sorted_by_the_field_their_problems_name():
    rejected = parse_rejection(
        _refusal(
            Problem(loc=["body", "squareMeters"], field="squareMeters", msg="too large", type="x"),
            Problem(loc=["body", "squareMeters"], field="squareMeters", msg="second", type="x"),
            Problem(loc=["body", "garden"], field="garden", msg="not a field", type="x"),
            Problem(loc=["body"], field=None, msg="body is wrong", type="x"),
        ),
        KAGGLE.feature_names,
    )
    assert rejected.by_field == {"squareMeters": "too large"}
    assert rejected.other == ["not a field", "body is wrong"]
    assert parse_rejection(_refusal(message="bad body"), []).other == ["bad body"]


def test_a_rejection_in_another_shape_is_unreadable():
    with pytest.raises(ServiceUnavailable, match="answered a 422 that does not follow"):
        parse_rejection(_json({"detail": [{"loc": ["body", "floors"], "msg": "no"}]}), [])


def test_client_sends_json_and_the_request_id(fake_api):
    client = PredictionClient(fake_api.url, 2.0, KAGGLE.feature_names)
    inputs = {name: 1 for name in KAGGLE.feature_names}
    estimate = client.predict(inputs, "abc123")
    client.close()
    [call] = fake_api.predictions()
    assert call.body == inputs and call.headers["x-request-id"] == "abc123"
    assert call.headers["content-type"] == "application/json"
    assert estimate.price == 100.0 + 2_500.0 + 0.4 and estimate.request_id == "abc123"


def test_client_maps_statuses(fake_api):
    client = PredictionClient(fake_api.url + "/", 0.5, KAGGLE.feature_names)
    inputs = {name: 1 for name in KAGGLE.feature_names}
    fake_api.mode = "reject"
    with pytest.raises(ServiceRejected) as rejected:
        client.predict(inputs, "r")
    assert rejected.value.by_field == {"floors": "floors: 99 must be a whole number from 1 to 50"}
    assert rejected.value.other == ["the home is not in Paris"]
    fake_api.mode, fake_api.delay = "slow", 2.0
    with pytest.raises(ServiceUnavailable) as slow:
        client.predict(inputs, "r")
    assert slow.value.public == "the price service did not answer in time"
    client.close()


@pytest.mark.parametrize(
    "status, content, reason, public",
    [
        (
            503,
            ErrorBody(request_id="r", error="no_model", message="no champion").model_dump_json(),
            "HTTP 503: no champion",
            "has no model ready yet",
        ),
        (503, _json({"detail": "no model"}), "HTTP 503", "has no model ready yet"),
        (500, b"Internal Server Error", "HTTP 500", "failed to answer"),
        (502, b"", "HTTP 502", "failed to answer"),
    ],
)
def test_other_statuses_say_why_there_is_no_estimate(status, content, reason, public):
    down = unavailable(status, content)
    assert down.reason == f"the prediction service answered {reason}"
    assert down.public == f"the price service {public}"
