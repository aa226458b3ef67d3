"""Every route and every refusal of the service, on a real registry."""

from __future__ import annotations

import gzip
import json
import math
import re
import time

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from paris_housing.contract import BatchPrediction, ErrorBody, Prediction
from paris_housing.settings import get_settings
from webservice.app import create_app
from webservice.http import JSON, RepeatedKey, unique_json


def expected_price(pipeline, home: dict) -> float:
    return float(pipeline.predict(pd.DataFrame([home]))[0])


def test_predict_answers_the_price_with_model_and_request_id(client, home, linear):
    response = client.post("/predict", json=home)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"request_id", "price", "currency", "model_name", "model_version"}
    assert Prediction.model_validate_json(response.content).price == body["price"]
    assert body["price"] == pytest.approx(expected_price(linear, home), rel=1e-9)
    assert (body["currency"], body["model_name"], body["model_version"]) == (
        "EUR",
        "paris-housing-kaggle",
        "1",
    )
    assert re.fullmatch(r"[0-9a-f]{32}", body["request_id"])
    assert response.headers["x-request-id"] == body["request_id"]


def test_the_first_home_is_priced_close_to_its_true_price(client, spec):
    from webservice.client import example

    first = example(spec, get_settings())
    price = client.post("/predict", json=first.home).json()["price"]
    assert abs(price - first.price) / first.price < 0.01


def test_an_incoming_request_id_is_honoured_and_a_bad_one_replaced(client, home):
    response = client.post("/predict", json=home, headers={"X-Request-ID": "form-1234_abc"})
    assert response.json()["request_id"] == "form-1234_abc"
    assert response.headers["x-request-id"] == "form-1234_abc"
    response = client.post("/predict", json=home, headers={"X-Request-ID": "bad id\twith spaces"})
    assert re.fullmatch(r"[0-9a-f]{32}", response.json()["request_id"])
    refused = client.post("/predict", json={}, headers={"X-Request-ID": "err-1"})
    assert refused.json()["request_id"] == "err-1" and refused.headers["x-request-id"] == "err-1"


@pytest.mark.parametrize(
    ("change", "status", "field", "value", "allowed"),
    [
        ({"squareMeters": 0}, 422, "squareMeters", 0, "a whole number from 1 to 100,000 m²"),
        ({"made": 2031}, 422, "made", 2031, "a whole number from 1900 to 2030"),
        ({"hasPool": 2}, 422, "hasPool", 2, "0 (no) or 1 (yes)"),
        ({"floors": "3"}, 422, "floors", "3", "a whole number from 1 to 100"),
        ({"floors": 3.5}, 422, "floors", 3.5, "a whole number from 1 to 100"),
        ({"floors": None}, 422, "floors", None, "a whole number from 1 to 100"),
        ({"balcony": 1}, 422, "balcony", 1, None),
    ],
)
def test_a_bad_field_is_named_with_its_value_and_what_is_allowed(
    client, home, change, status, field, value, allowed
):
    response = client.post("/predict", json={**home, **change})
    assert response.status_code == status
    body = response.json()
    assert body["error"] == "validation"
    (problem,) = body["detail"]
    assert (problem["field"], problem["input"]) == (field, value)
    if allowed:
        assert problem["allowed"] == allowed
    else:
        assert problem["allowed"].startswith("the fields squareMeters")
    assert field in body["message"]
    assert ErrorBody.model_validate(body).detail[0].field == field


@pytest.mark.parametrize(
    ("field", "value"),
    [("hasPool", 0.9999999999), ("hasGuestRoom", 4.9999999999), ("hasPool", 2.589e-42)]
    + [("hasYard", 1e-9), ("floors", 3.5)],
)
def test_whole_means_whole_on_every_route(client, home, spec, field, value):
    allowed = spec.column(field).allowed()
    sentence = f"{field}: {value} must be {allowed}"
    single = client.post("/predict", json={**home, field: value})
    assert single.status_code == 422
    assert [(p["field"], p["input"], p["msg"]) for p in single.json()["detail"]] == [
        (field, value, sentence)
    ]
    batch = client.post("/predict/batch", json=[home, {**home, field: value}])
    assert batch.status_code == 422
    assert batch.json()["detail"][0]["msg"] == f"row 1, {sentence}"
    mlflow = client.post("/invocations", json={"dataframe_records": [{**home, field: value}]})
    assert mlflow.status_code == 400 and mlflow.json()["message"] == f"row 0, {sentence}"


def test_a_number_of_hundreds_of_digits_names_its_field(client, home):
    body = json.dumps(home).replace(f'"garage": {home["garage"]}', '"garage": ' + "9" * 400)
    allowed = "must be a whole number from 0 to 1,000 m²"
    headers = {"content-type": "application/json"}
    single = client.post("/predict", content=body, headers=headers)
    assert single.status_code == 422
    assert single.json()["detail"][0]["field"] == "garage"
    assert (
        single.json()["message"].startswith("garage: 999") and allowed in single.json()["message"]
    )
    mlflow = client.post(
        "/invocations", content='{"dataframe_records": [' + body + "]}", headers=headers
    )
    assert mlflow.status_code == 400, mlflow.text
    assert mlflow.json()["message"].startswith("row 0, garage: 999")
    assert allowed in mlflow.json()["message"]


@pytest.mark.parametrize("text", ["75_523", "１２３", "٣", "nan", "0x10"])
def test_a_csv_body_takes_ascii_numbers_only(client, home, spec, text):
    names = spec.feature_names
    values = [text if n == "cityCode" else str(home[n]) for n in names]
    csv = ",".join(names) + "\n" + ",".join(values) + "\n"
    response = client.post("/invocations", content=csv, headers={"content-type": "text/csv"})
    assert response.status_code == 400
    assert response.json()["message"] == (
        f"row 0, cityCode: {text!r} is not a number (must be a whole number from 1 to 100,000)"
    )


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/gzip"]
)
def test_a_body_of_another_content_type_is_415(client, home, content_type):
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/predict", content=json.dumps(home), headers=headers)
    assert response.status_code == 415, response.text
    assert ErrorBody.model_validate(response.json()).error == "unsupported_media_type"
    assert "send application/json" in response.json()["message"]
    charset = {"content-type": "application/json; charset=utf-8"}
    assert client.post("/predict", content=json.dumps(home), headers=charset).status_code == 200


def test_a_number_too_long_for_python_says_why_the_body_is_refused(client, home):
    body = json.dumps(home).replace(f'"garage": {home["garage"]}', '"garage": ' + "9" * 5000)
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == "not_json"
    assert "Exceeds the limit (4300 digits)" in response.json()["message"]


def test_unknown_paths_and_methods_answer_an_error_body(client):
    for response, status, cause in (
        (client.get("/nowhere"), 404, "not_found"),
        (client.get("/predict"), 405, "method_not_allowed"),
    ):
        assert response.status_code == status
        body = ErrorBody.model_validate(response.json())
        assert body.error == cause and body.request_id == response.headers["x-request-id"]


def test_whole_numbers_written_as_floats_are_accepted(client, home):
    as_floats = {name: float(value) for name, value in home.items()}
    assert client.post("/predict", json=as_floats).json()["price"] == pytest.approx(
        client.post("/predict", json=home).json()["price"], rel=1e-12
    )


def test_a_missing_field_is_named(client, home):
    body = client.post("/predict", json={k: v for k, v in home.items() if k != "attic"}).json()
    assert body["detail"][0]["msg"] == "attic: is missing"
    assert body["detail"][0]["allowed"] == "a whole number from 0 to 10,000 m²"


@pytest.mark.parametrize("content", [b"", b"{", b"squareMeters=3", b"\xff\xfe", b"[1,]"])
def test_a_body_that_is_not_json_is_400(client, content):
    headers = {"content-type": "application/json"}
    response = client.post("/predict", content=content, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"] == "not_json"
    assert response.json()["message"].startswith("the body is not valid JSON")


@pytest.mark.parametrize("body", [[], [1, 2], 3, "home"])
def test_a_body_that_is_not_an_object_is_422(client, body):
    response = client.post("/predict", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["allowed"].startswith("a JSON object with the fields")


@pytest.mark.usefixtures("registry")
def test_a_body_over_the_size_limit_is_413(monkeypatch, home):
    monkeypatch.setenv("PARIS_HOUSING_API_MAX_BODY_BYTES", "2000")
    get_settings.cache_clear()
    with TestClient(create_app()) as small:
        response = small.post("/predict", json={**home, "padding": "x" * 3000})
        assert response.status_code == 413
        assert response.json()["detail"][0]["allowed"] == "at most 2000 bytes"
        chunked = small.post(
            "/predict",
            content=iter([b"[" + b" " * 1500, b" " * 1500 + b"]"]),
            headers={"content-type": "application/json"},
        )
        assert chunked.status_code == 413
        assert ErrorBody.model_validate(chunked.json()).error == "body_too_large"
        csv = small.post("/invocations", content=b"x" * 3000, headers={"content-type": "text/csv"})
        assert csv.status_code == 413 and csv.json()["error_code"] == "BAD_REQUEST"


def test_batch_prices_each_home_in_order(client, home, data, linear):
    homes = [home] + data.x_holdout.head(4).to_dict(orient="records")
    response = client.post("/predict/batch", json=homes)
    body = BatchPrediction.model_validate_json(response.content).model_dump()
    expected = linear.predict(pd.DataFrame(homes))
    assert body["prices"] == pytest.approx(list(expected), rel=1e-9)
    assert body["model_version"] == "1" and body["currency"] == "EUR"


def test_batch_refusals_name_the_row(client, home):
    response = client.post("/predict/batch", json=[home, {**home, "garage": 5000}])
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", 1, "garage"]
    assert problem["msg"] == "row 1, garage: 5000 must be a whole number from 0 to 1,000 m²"
    assert client.post("/predict/batch", json=[]).status_code == 422
    assert (
        client.post("/predict/batch", json=home)
        .json()["detail"][0]["allowed"]
        .startswith("a JSON array of homes")
    )


def test_an_oversized_batch_is_413_with_count_and_limit(client, home):
    limit = get_settings().api_batch_max_rows
    response = client.post("/predict/batch", json=[home] * (limit + 1))
    assert response.status_code == 413
    problem = response.json()["detail"][0]
    assert problem["input"] == limit + 1 and problem["allowed"] == f"at most {limit} homes"


def test_invocations_speak_mlflow_s_protocol(client, home, spec):
    single = client.post("/predict", json=home).json()["price"]
    names = spec.feature_names
    for payload in (
        {"dataframe_split": {"columns": names, "data": [[home[n] for n in names]]}},
        {"dataframe_records": [home]},
        {"instances": [home]},
        {"inputs": {n: [home[n]] for n in names}},
    ):
        response = client.post("/invocations", json=payload)
        assert response.status_code == 200, response.text
        assert response.json()["predictions"] == [pytest.approx(single, rel=1e-9)]
    csv = ",".join(names) + "\n" + ",".join(str(home[n]) for n in names) + "\n"
    response = client.post("/invocations", content=csv, headers={"content-type": "text/csv"})
    assert response.json()["predictions"] == [pytest.approx(single, rel=1e-9)]


def test_invocations_refusals_carry_mlflow_s_error_code(client, home):
    response = client.post("/invocations", json={"dataframe_records": [{**home, "made": 1.5}]})
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "BAD_REQUEST"
    assert body["message"] == "row 0, made: 1.5 must be a whole number from 1900 to 2030"
    response = client.post("/invocations", content=b"x", headers={"content-type": "text/plain"})
    assert response.status_code == 415 and body["request_id"]


def test_health_ready_and_model(client):
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json() == {
        "ready": True,
        "reason": None,
        "model_name": "paris-housing-kaggle",
        "model_version": "1",
    }
    model = client.get("/model").json()
    assert (model["version"], model["alias"], model["predictor"]) == ("1", "champion", "onnx")
    assert re.fullmatch(r"[0-9a-f]{16}", model["dataset_version"]) and model["dataset"] == "kaggle"
    assert set(model["metrics"]) == {"rmse", "mae", "r2", "mape"}
    assert model["metrics"]["r2"] > 0.9999
    assert model["registry_error"] is None and model["last_checked_at"]


def test_without_a_champion_the_service_starts_and_says_why(registry, home):
    registry.delete_alias()
    with TestClient(create_app()) as client:
        assert client.get("/health").status_code == 200
        ready = client.get("/ready")
        assert ready.status_code == 503 and ready.json()["ready"] is False
        assert "has the alias 'champion'" in ready.json()["reason"]
        response = client.post("/predict", json=home)
        assert response.status_code == 503
        assert response.json()["error"] == "no_model"
        assert "paris-housing train" in response.json()["message"]
        assert client.get("/model").status_code == 503
        registry.set_alias("2")  # a champion appears: served at the next poll
        deadline = time.monotonic() + 10
        while client.get("/ready").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.post("/predict", json=home).json()["model_version"] == "2"


def metric(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith(name) and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no sample {name} {labels} in the metrics")


def test_metrics_count_requests_errors_prices_and_the_model(client, home):
    for _ in range(3):
        client.post("/predict", json=home)
    client.post("/predict", json={**home, "made": 1})
    client.post("/predict/batch", json=[home, home])
    text = client.get("/metrics").text
    requests = "paris_housing_http_requests_total"
    assert metric(text, requests, endpoint="/predict", status="200") == 3
    assert metric(text, requests, endpoint="/predict", status="422") == 1
    assert metric(text, "paris_housing_http_errors_total", cause="validation") == 1
    assert (
        metric(text, "paris_housing_http_request_duration_seconds_count", endpoint="/predict") == 4
    )
    assert metric(text, "paris_housing_predicted_price_eur_count") == 5
    assert metric(text, "paris_housing_predicted_price_eur_bucket", le="+Inf") == 5
    assert metric(text, "paris_housing_model_info", version="1", predictor="onnx") == 1
    assert metric(text, "paris_housing_model_ready") == 1


@pytest.mark.usefixtures("registry")
def test_the_prediction_log_gets_every_prediction_with_its_request_id(home, tmp_path):
    with TestClient(create_app()) as client:
        client.post("/predict", json=home, headers={"X-Request-ID": "logged-1"})
        client.post("/predict/batch", json=[home, home], headers={"X-Request-ID": "logged-2"})
        client.post("/invocations", json={"instances": [home]}, headers={"X-Request-ID": "l-3"})
    bucket = get_settings().bucket
    files = list((tmp_path / ".local").rglob("*.parquet"))
    assert files and str(files[0]).startswith(bucket)
    table = pd.concat(pd.read_parquet(f) for f in files).sort_values(["request_id", "row"])
    assert table["request_id"].tolist() == ["l-3", "logged-1", "logged-2", "logged-2"]
    assert table["endpoint"].tolist() == ["/invocations", "/predict", "/predict/batch"] * 1 + [
        "/predict/batch"
    ]
    assert (table["squareMeters"] == home["squareMeters"]).all()
    assert table["squareMeters"].dtype == "int64"
    assert table["price"].map(math.isfinite).all()


def test_docs_and_the_openapi_document_describe_the_home(client):
    assert "swagger" in client.get("/docs").text.lower()
    document = client.get("/openapi.json").json()
    home = document["components"]["schemas"]["Home"]
    assert home["properties"]["made"]["title"] == "Year built"
    body = document["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/Home"}
    batch = document["paths"]["/predict/batch"]["post"]["requestBody"]["content"]
    assert batch["application/json"]["schema"]["maxItems"] == get_settings().api_batch_max_rows
    assert client.get("/", follow_redirects=False).headers["location"] == "/docs"


def test_invocations_refuse_a_column_named_twice(client, home, spec):
    names = [*spec.feature_names, "floors"]
    row = [home[n] for n in spec.feature_names] + [-5]
    for response in (
        client.post("/invocations", json={"dataframe_split": {"columns": names, "data": [row]}}),
        client.post(
            "/invocations",
            content=",".join(names) + "\n" + ",".join(map(str, row)) + "\n",
            headers={"content-type": "text/csv"},
        ),
    ):
        assert response.status_code == 400, response.text
        body = response.json()
        assert "column 'floors' is given more than once" in body["message"]
        assert [(p["field"], p["type"]) for p in body["detail"]] == [("floors", "repeated")]


def test_a_compressed_body_is_refused_as_unsupported(client, home):
    packed = gzip.compress(json.dumps(home).encode())
    for path in ("/predict", "/invocations"):
        response = client.post(
            path, content=packed, headers={"content-type": JSON, "content-encoding": "gzip"}
        )
        assert response.status_code == 415, response.text
        assert "content encoding 'gzip' is not supported" in response.json()["message"]
    response = client.post("/predict", json=home, headers={"content-encoding": "identity"})
    assert response.status_code == 200


def test_predict_refuses_a_key_given_twice(client, home):
    one = json.dumps(home)[:-1] + ', "hasPool": 7}'
    for path, body in (("/predict", one), ("/predict/batch", f"[{json.dumps(home)}, {one}]")):
        response = client.post(path, content=body, headers={"content-type": JSON})
        assert response.status_code == 422, response.text
        error = response.json()
        assert "key 'hasPool' is given more than once" in error["message"]
        assert [(p["field"], p["type"]) for p in error["detail"]] == [("hasPool", "repeated")]
    response = client.post("/predict", content=json.dumps(home), headers={"content-type": JSON})
    assert response.status_code == 200
    response = client.post("/predict", content=b"{not json", headers={"content-type": JSON})
    assert response.status_code == 400 and response.json()["error"] == "not_json"


@pytest.mark.parametrize(
    "body, key",
    [
        (b'{"a": 1, "b": 2, "a": 3}', "a"),
        (b'{"a": "x:y", "a": 1}', "a"),
        (b'[{"a": 1}, {"b": {"c": 1, "c": 2}}]', "c"),
        (b'{"a": 1e400, "a": 2}', "a"),
        (b'{"a": "x:y", "b": 1}', None),
        (b'[{"a": 1}, {"a": 2}]', None),
    ],
)
def test_unique_json_finds_a_repeated_key_in_any_object(body, key):
    if key is None:
        assert unique_json(body) == json.loads(body)
    else:
        with pytest.raises(RepeatedKey) as caught:
            unique_json(body)
        assert caught.value.key == key
