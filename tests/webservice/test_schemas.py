"""The request model derived from the spec, and how refused values are shown back."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from webservice.errors import MAX_INPUT_CHARS, from_pydantic, shown
from webservice.schemas import home_model


def test_each_field_carries_type_range_label_unit_and_example(spec):
    schema = home_model(spec).model_json_schema()
    assert schema["additionalProperties"] is False
    assert schema["required"] == spec.feature_names
    area = schema["properties"]["squareMeters"]
    assert area["type"] == "integer"
    assert (area["minimum"], area["maximum"]) == (1, 100_000)
    assert area["title"] == "Living area"
    assert "m²" in area["description"] and "Floor area" in area["description"]
    assert area["examples"] == [50_000]
    assert schema["properties"]["hasPool"]["description"].endswith("Allowed: 0 (no) or 1 (yes).")


@pytest.mark.parametrize(
    ("value", "kind", "msg"),
    [
        (-1, "out_of_range", "squareMeters: -1 is out of range"),
        (100_001, "out_of_range", "squareMeters: 100001 is out of range"),
        ("75", "wrong_type", "squareMeters: '75' is not a number"),
        (75.5, "wrong_type", "squareMeters: 75.5 is not a whole number"),
        (True, "wrong_type", "squareMeters: True is not a number"),
        (None, "wrong_type", "squareMeters: None is not a number"),
        (float("nan"), "wrong_type", "squareMeters: nan is not a finite number"),
    ],
)
def test_a_refused_value_is_named_with_what_is_allowed(spec, home, value, kind, msg):
    with pytest.raises(ValidationError) as caught:
        home_model(spec).model_validate({**home, "squareMeters": value})
    problems = from_pydantic(caught.value.errors(), spec)
    assert len(problems) == 1
    problem = problems[0]
    assert (problem["type"], problem["msg"]) == (kind, msg)
    assert problem["field"] == "squareMeters"
    assert problem["loc"] == ["body", "squareMeters"]
    assert problem["allowed"] == "a whole number from 1 to 100,000 m²"


def test_whole_numbers_may_be_written_with_a_zero_fraction(spec, home):
    parsed = home_model(spec).model_validate({**home, "squareMeters": 75.0})
    assert parsed.squareMeters == 75


def test_missing_and_unknown_fields(spec, home):
    body = {k: v for k, v in home.items() if k != "garage"} | {"garden": 1}
    with pytest.raises(ValidationError) as caught:
        home_model(spec).model_validate(body)
    problems = {p["field"]: p for p in from_pydantic(caught.value.errors(), spec)}
    assert problems["garage"]["msg"] == "garage is missing"
    assert problems["garage"]["allowed"] == "a whole number from 0 to 1,000 m²"
    assert problems["garden"]["msg"] == "garden: 1 is not a field of a home"
    assert problems["garden"]["allowed"].startswith("the fields squareMeters, numberOfRooms")


def test_values_shown_back_are_always_valid_json_and_short():
    assert shown(10**30) == str(10**30)
    assert shown(float("nan")) == "nan"
    assert shown(float("-inf")) == "-inf"
    assert shown(b"\xff\xfe") == "\ufffd\ufffd"
    assert len(shown("x" * 1000)) == MAX_INPUT_CHARS
    assert shown({"a": [1]}) == "{'a': [1]}"
    assert shown(12) == 12 and shown(1.5) == 1.5 and shown(None) is None
