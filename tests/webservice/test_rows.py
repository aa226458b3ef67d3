"""Many rows at once: MLflow's scoring formats and CSV (the rules' array form: tests/unit)."""

from __future__ import annotations

import numpy as np
import pytest

from webservice.errors import ApiError
from webservice.rows import from_csv, from_mlflow_json, matrix


@pytest.fixture
def homes(data) -> list[dict[str, int]]:
    return data.x_holdout.head(3).to_dict(orient="records")


def expected(spec, homes) -> np.ndarray:
    return np.array([[h[n] for n in spec.feature_names] for h in homes], dtype=np.float64)


def test_the_four_mlflow_formats_give_the_same_rows(spec, homes):
    names = spec.feature_names
    shuffled = list(reversed(names))  # columns may come in any order
    payloads = {
        "dataframe_split": {
            "columns": shuffled,
            "data": [[h[n] for n in shuffled] for h in homes],
            "index": [7, 8, 9],
        },
        "dataframe_records": homes,
        "instances": homes,
        "inputs": {n: [h[n] for h in homes] for n in shuffled},
    }
    for key, value in payloads.items():
        rows, used = from_mlflow_json({key: value, "params": {}}, spec, 100)
        assert used == key
        np.testing.assert_array_equal(rows, expected(spec, homes))
    positional, _ = from_mlflow_json({"instances": [[h[n] for n in names] for h in homes]}, spec, 9)
    np.testing.assert_array_equal(positional, expected(spec, homes))


def test_a_csv_body_gives_the_same_rows(spec, homes):
    lines = [",".join(spec.feature_names)] + [
        ",".join(str(h[n]) for n in spec.feature_names) for h in homes
    ]
    rows = from_csv(("\r\n".join(lines) + "\r\n").encode(), spec, 100)
    np.testing.assert_array_equal(rows, expected(spec, homes))


@pytest.mark.parametrize("body", [b'a,"' + b"x" * 200_000, b"\xff\xfe", b""])
def test_an_unreadable_csv_body_is_400(spec, body):
    with pytest.raises(ApiError) as caught:
        from_csv(body, spec, 100)
    assert caught.value.status == 400 and "CSV" in caught.value.message


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([1, 2], "the body must be a JSON object"),
        ({"dataframe_records": [], "instances": []}, "exactly one of the keys"),
        ({"rows": []}, "exactly one of the keys"),
        ({"dataframe_split": {"data": [[1]]}}, 'dataframe_split must be {"columns"'),
        ({"dataframe_records": [[1, 2]]}, "must be a list of objects"),
        ({"inputs": {"squareMeters": [1, 2], "floors": [1]}}, "a list of equal length"),
    ],
)
def test_malformed_payloads_say_what_the_protocol_expects(spec, payload, message):
    with pytest.raises(ApiError) as caught:
        from_mlflow_json(payload, spec, 100)
    assert caught.value.status == 400
    assert message in caught.value.message
    assert "dataframe_split" in caught.value.problems[0]["allowed"]


def test_missing_and_unknown_columns_are_named(spec, homes):
    records = [{**{k: v for k, v in homes[0].items() if k != "floors"}, "floorz": 3}]
    with pytest.raises(ApiError) as caught:
        from_mlflow_json({"dataframe_records": records}, spec, 100)
    found = {(p["field"], p["type"]) for p in caught.value.problems}
    assert ("floors", "missing") in found
    assert ("floorz", "extra_forbidden") in found
    assert "floors" in caught.value.message and "floorz" in caught.value.message


def test_values_that_are_not_numbers_are_named_with_their_row(spec, homes):
    bad = [dict(homes[0]), {**homes[1], "hasPool": "yes"}, {**homes[2], "garage": True}]
    with pytest.raises(ApiError) as caught:
        from_mlflow_json({"dataframe_records": bad}, spec, 100)
    problems = {tuple(p["loc"]): p for p in caught.value.problems}
    assert problems[("body", 1, "hasPool")]["input"] == "yes"
    assert problems[("body", 1, "hasPool")]["allowed"] == "0 (no) or 1 (yes)"
    assert problems[("body", 2, "garage")]["input"] is True
    assert len(problems) == 2


def test_rows_of_the_wrong_length_are_refused(spec):
    with pytest.raises(ApiError) as caught:
        matrix(spec, spec.feature_names, [[1, 2, 3]], 100)
    assert caught.value.problems[0]["type"] == "wrong_shape"
    assert "16 values" in caught.value.problems[0]["msg"]


def test_more_rows_than_allowed_is_413_with_the_count_and_limit(spec, homes):
    with pytest.raises(ApiError) as caught:
        from_mlflow_json({"dataframe_records": homes * 4}, spec, 10)
    assert caught.value.status == 413
    assert caught.value.problems[0]["input"] == 12
    assert caught.value.problems[0]["allowed"] == "at most 10 rows"


def test_csv_cells_are_read_by_the_spec_s_grammar(spec, homes):
    names = spec.feature_names
    cells = [[str(h[n]) for n in names] for h in homes]
    cells[0][names.index("garage")] = ""
    cells[1][names.index("floors")] = "７"
    cells[2][names.index("made")] = "1e400"
    body = "\n".join(",".join(row) for row in [names, *cells]).encode()
    with pytest.raises(ApiError) as caught:
        from_csv(body, spec, 100)
    assert [p["msg"] for p in caught.value.problems] == [
        "row 0, garage: is missing",
        "row 1, floors: '７' is not a number (must be a whole number from 1 to 100)",
        "row 2, made: 1e400 must be a whole number from 1900 to 2030",
    ]
    assert caught.value.problems[1]["loc"] == ["body", 1, "floors"]
