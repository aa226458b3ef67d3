"""Reading the prediction service's answers (pure), and the client against the stand-in."""

from __future__ import annotations

import pytest

from flask_deployment.predictions import (
    Interval,
    PredictionClient,
    ServiceRejected,
    ServiceUnavailable,
    parse_estimate,
    parse_rejection,
    unavailable,
)
from paris_housing.datasets import KAGGLE

BASE = {"request_id": "r1", "price": 123_456.7, "currency": "EUR", "model_name": "m"}


def test_a_minimal_answer_is_an_estimate():
    estimate = parse_estimate({**BASE, "model_version": 3})
    assert (estimate.price, estimate.currency, estimate.model_name) == (123_456.7, "EUR", "m")
    assert estimate.model_version == "3" and estimate.interval is None and not estimate.reasons


@pytest.mark.parametrize(
    "interval, expected",
    [
        ({"low": 1.0, "high": 2.0, "level": 0.9}, Interval(1.0, 2.0, 0.9)),
        ({"lower": 1, "upper": 2}, Interval(1.0, 2.0, None)),
        ([1, 2], Interval(1.0, 2.0, None)),
        ([2, 1], None),
        ({"low": "a", "high": 2}, None),
        ("wide", None),
    ],
)
def test_intervals_in_the_shapes_a_service_may_send(interval, expected):
    assert parse_estimate({**BASE, "interval": interval}).interval == expected


def test_reasons_become_sentences():
    reasons = [
        "large living area",
        {"text": "a pool"},
        {"feature": "squareMeters", "effect": 5_000.4},
        {"label": "Year built", "contribution": -1_200},
        {"nothing": "useful"},
        42,
    ]
    assert parse_estimate({**BASE, "reasons": reasons}).reasons == (
        "large living area",
        "a pool",
        "squareMeters: +€5,000",
        "Year built: −€1,200",
    )


@pytest.mark.parametrize(
    "body", [None, [], {"price": None}, {"price": "1"}, {"price": float("nan")}, {"price": -1}]
)
def test_answers_without_a_usable_price_are_unavailable(body):
    with pytest.raises(ServiceUnavailable, match="not JSON|no usable price"):
        parse_estimate(body)


def test_rejections_are_sorted_by_field():
    rejected = parse_rejection(
        {
            "detail": [
                {"loc": ["body", "squareMeters"], "msg": "too large"},
                {"loc": ["body", "squareMeters"], "msg": "second message"},
                {"loc": ["body"], "msg": "body is wrong"},
                "plain text",
            ]
        },
        KAGGLE.feature_names,
    )
    assert rejected.by_field == {"squareMeters": "too large"}
    assert rejected.other == ["body is wrong", "plain text"]


def test_client_sends_json_and_the_request_id(fake_api):
    client = PredictionClient(fake_api.url, 2.0, KAGGLE.feature_names)
    inputs = {name: 1 for name in KAGGLE.feature_names}
    estimate = client.predict(inputs, "abc123")
    client.close()
    [call] = fake_api.predictions()
    assert call.body == inputs and call.headers["x-request-id"] == "abc123"
    assert call.headers["content-type"] == "application/json"
    assert estimate.price == 100.0 + 2_500.0 + 0.4


def test_client_maps_statuses(fake_api):
    client = PredictionClient(fake_api.url + "/", 0.5, KAGGLE.feature_names)
    inputs = {name: 1 for name in KAGGLE.feature_names}
    fake_api.mode = "reject"
    with pytest.raises(ServiceRejected) as rejected:
        client.predict(inputs, "r")
    assert rejected.value.by_field == {"floors": "floors must be at most 50"}
    fake_api.mode, fake_api.delay = "slow", 2.0
    with pytest.raises(ServiceUnavailable) as slow:
        client.predict(inputs, "r")
    assert slow.value.public == "the price service did not answer in time"
    client.close()


@pytest.mark.parametrize(
    "status, body, reason, public",
    [
        (503, {"detail": "no model"}, "HTTP 503: no model", "has no model ready yet"),
        (
            503,
            {"error": "no_model", "message": "no champion", "detail": []},
            "HTTP 503: no champion",
            "has no model ready yet",
        ),
        (500, None, "HTTP 500", "failed to answer"),
        (502, {"detail": ["odd"]}, "HTTP 502", "failed to answer"),
    ],
)
def test_other_statuses_say_why_there_is_no_estimate(status, body, reason, public):
    down = unavailable(status, body)
    assert down.reason == f"the prediction service answered {reason}"
    assert down.public == f"the price service {public}"


def test_the_services_own_refusals_keep_what_is_allowed():
    rejected = parse_rejection(
        {
            "error": "invalid_input",
            "message": "1 problem",
            "detail": [
                {
                    "loc": ["body", "floors"],
                    "field": "floors",
                    "msg": "floors: 0 is out of range",
                    "allowed": "a whole number from 1 to 100",
                }
            ],
        },
        KAGGLE.feature_names,
    )
    assert rejected.by_field == {
        "floors": "floors: 0 is out of range (allowed: a whole number from 1 to 100)"
    }
    assert not rejected.other
    assert parse_rejection({"message": "bad body", "detail": []}, []).other == ["bad body"]
