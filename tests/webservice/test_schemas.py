"""The request model of the contract, derived from the spec, and how its refusals are worded."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from paris_housing.contract import home_model, homes_adapter
from webservice.errors import from_pydantic


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
    assert schema["properties"]["hasPool"]["type"] == "integer"


ALLOWED = "a whole number from 1 to 100,000 m²"


@pytest.mark.parametrize(
    ("value", "kind", "msg"),
    [
        (-1, "out_of_range", f"squareMeters: -1 must be {ALLOWED}"),
        (100_001, "out_of_range", f"squareMeters: 100001 must be {ALLOWED}"),
        ("75", "wrong_type", f"squareMeters: '75' is not a number (must be {ALLOWED})"),
        (75.5, "wrong_type", f"squareMeters: 75.5 must be {ALLOWED}"),
        (75.0000000001, "wrong_type", f"squareMeters: 75.0000000001 must be {ALLOWED}"),
        (True, "wrong_type", f"squareMeters: True is not a number (must be {ALLOWED})"),
        (None, "wrong_type", f"squareMeters: None is not a number (must be {ALLOWED})"),
        (float("nan"), "wrong_type", f"squareMeters: nan must be {ALLOWED}"),
        (10**400, "out_of_range", "squareMeters: 1000000000"),
    ],
)
def test_a_refused_value_is_named_with_what_is_allowed(spec, home, value, kind, msg):
    with pytest.raises(ValidationError) as caught:
        home_model(spec).model_validate({**home, "squareMeters": value})
    problems = from_pydantic(caught.value.errors(), spec)
    assert len(problems) == 1
    problem = problems[0]
    assert problem["type"] == kind and problem["msg"].startswith(msg)
    assert problem["field"] == "squareMeters"
    assert problem["loc"] == ["body", "squareMeters"]
    assert problem["allowed"] == ALLOWED


def test_the_model_refuses_with_the_rule_s_own_sentence(spec, home):
    with pytest.raises(ValidationError, match="0.9999999999 must be 0 \\(no\\) or 1 \\(yes\\)"):
        home_model(spec).model_validate({**home, "hasPool": 0.9999999999})


def test_whole_numbers_may_be_written_with_a_zero_fraction(spec, home):
    parsed = home_model(spec).model_validate({**home, "squareMeters": 75.0})
    assert parsed.squareMeters == 75


def test_missing_and_unknown_fields(spec, home):
    body = {k: v for k, v in home.items() if k != "garage"} | {"garden": 1}
    with pytest.raises(ValidationError) as caught:
        home_model(spec).model_validate(body)
    problems = {p["field"]: p for p in from_pydantic(caught.value.errors(), spec)}
    assert problems["garage"]["msg"] == "garage: is missing"
    assert problems["garage"]["allowed"] == "a whole number from 0 to 1,000 m²"
    assert problems["garden"]["msg"] == "garden: is not a field of a home"
    assert problems["garden"]["input"] == 1
    assert problems["garden"]["allowed"].startswith("the fields squareMeters, numberOfRooms")


def test_a_batch_names_the_row_and_its_length(spec, home):
    homes = homes_adapter(home_model(spec), 2)
    with pytest.raises(ValidationError) as caught:
        homes.validate_python([home, {**home, "floors": 0}])
    problems = from_pydantic(caught.value.errors(), spec)
    assert len(problems) == 1
    problem = problems[0]
    assert problem["loc"] == ["body", 1, "floors"]
    assert problem["msg"] == "row 1, floors: 0 must be a whole number from 1 to 100"
    with pytest.raises(ValidationError, match="at most 2 items"):
        homes.validate_python([home] * 3)
