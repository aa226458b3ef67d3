"""Parsing what people type, and showing numbers and euros."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flask_deployment.values import ValueProblem, format_euros, format_input, hint, parse_value
from paris_housing.datasets import KAGGLE

AREA = KAGGLE.column("squareMeters")
YEAR = KAGGLE.column("made")
POOL = KAGGLE.column("hasPool")
OWNERS = KAGGLE.column("numPrevOwners")


@pytest.mark.parametrize(
    "column, raw, value",
    [
        (AREA, "120", 120),
        (AREA, " 120 ", 120),
        (AREA, "120.0", 120),
        (AREA, "1e3", 1000),
        (AREA, "100000", 100_000),
        (OWNERS, "0", 0),
        (YEAR, "2030", 2030),
        (POOL, "1", 1),
        (POOL, "on", 1),
        (POOL, None, 0),
        (POOL, "", 0),
        (POOL, "0", 0),
    ],
)
def test_allowed_values_are_parsed_to_numbers(column, raw, value):
    parsed = parse_value(column, raw)
    assert parsed == value and isinstance(parsed, int) and not isinstance(parsed, bool)


@pytest.mark.parametrize(
    "column, raw, message",
    [
        (AREA, "", "This field is required: enter a whole number from 1 to 100,000 m²."),
        (AREA, "100001", "100001 is above the maximum: enter a whole number from 1 to 100,000 m²."),
        (AREA, "0.5", "0.5 is not a whole number: enter a whole number from 1 to 100,000 m²."),
        (AREA, "nan", "'nan' is not a number: enter a whole number from 1 to 100,000 m²."),
        (AREA, "inf", "'inf' is not a number: enter a whole number from 1 to 100,000 m²."),
        (AREA, "12,5", "'12,5' is not a number: enter a whole number from 1 to 100,000 m²."),
        (
            AREA,
            "9" * 40,
            "'" + "9" * 32 + "'… is too long: enter a whole number from 1 to 100,000 m².",
        ),
        (OWNERS, "-1", "-1 is below the minimum: enter a whole number from 0 to 10."),
        (POOL, "yes please", "'yes please' is not yes or no: 0 (no) or 1 (yes)."),
    ],
)
def test_bad_values_say_what_is_allowed(column, raw, message):
    with pytest.raises(ValueProblem) as problem:
        parse_value(column, raw)
    assert str(problem.value) == message


@given(st.text(max_size=40))
def test_any_text_is_either_an_allowed_number_or_a_clear_problem(raw):
    try:
        value = parse_value(AREA, raw)
    except ValueProblem as problem:
        assert "enter a whole number from 1 to 100,000 m²" in str(problem)
    else:
        assert isinstance(value, int) and 1 <= value <= 100_000


def test_hints_and_formats():
    assert hint(AREA) == "A whole number from 1 to 100,000 m²."
    assert hint(YEAR) == "A whole number from 1900 to 2030."
    assert hint(POOL) == "Tick for yes."
    assert format_euros(5_123_456.49) == "€5,123,456"
    assert format_euros(999.5) == "€1,000"
    assert format_input(AREA, 12_000) == "12,000 m²"
    assert format_input(YEAR, 2005) == "2005"
    assert format_input(POOL, 1) == "yes" and format_input(POOL, 0) == "no"
