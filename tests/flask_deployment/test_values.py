"""Parsing what people type by the spec's rules, and showing numbers and prices."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flask_deployment.values import ValueProblem, format_input, format_price, hint, parse_value
from paris_housing.datasets import KAGGLE
from paris_housing.datasets.rules import InvalidValue, message, read_text

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
        (POOL, "Yes", 1),
        (POOL, None, 0),
        (POOL, "", 0),
        (POOL, "0", 0),
        (POOL, "off", 0),
    ],
)
def test_allowed_values_are_parsed_to_numbers(column, raw, value):
    parsed = parse_value(column, raw)
    assert parsed == value and isinstance(parsed, int) and not isinstance(parsed, bool)


ALLOWED = "a whole number from 1 to 100,000 m²"


@pytest.mark.parametrize(
    "column, raw, expected",
    [
        (AREA, "", f"This field is required (must be {ALLOWED})."),
        (AREA, "100001", f"100001 must be {ALLOWED}."),
        (AREA, "0.5", f"0.5 must be {ALLOWED}."),
        (AREA, "120.5", f"120.5 must be {ALLOWED}."),
        (AREA, "nan", f"'nan' is not a number (must be {ALLOWED})."),
        (AREA, "inf", f"'inf' is not a number (must be {ALLOWED})."),
        (AREA, "12,5", f"'12,5' is not a number (must be {ALLOWED})."),
        (AREA, "１２３", f"'１２３' is not a number (must be {ALLOWED})."),
        (AREA, "٣", f"'٣' is not a number (must be {ALLOWED})."),
        (AREA, "75_523", f"'75_523' is not a number (must be {ALLOWED})."),
        (AREA, "9" * 40, "9" * 32 + f"… must be {ALLOWED}."),
        (AREA, "z" * 40, "'" + "z" * 32 + f"'… is not a number (must be {ALLOWED})."),
        (OWNERS, "-1", "-1 must be a whole number from 0 to 10."),
        (POOL, "2", "2 must be 0 (no) or 1 (yes)."),
        (POOL, "0.9999999999", "0.9999999999 must be 0 (no) or 1 (yes)."),
        (POOL, "yes please", "'yes please' is not a number (must be 0 (no) or 1 (yes))."),
    ],
)
def test_bad_values_say_what_is_allowed(column, raw, expected):
    with pytest.raises(ValueProblem) as problem:
        parse_value(column, raw)
    assert str(problem.value) == expected


@pytest.mark.parametrize("raw", ["0", "75_523", "１２３", "2.5", ""])
def test_the_form_says_what_the_api_and_ingestion_say(raw):
    """The form's message is the rule's sentence without the field's name (its label says it)."""
    with pytest.raises(InvalidValue) as caught:
        read_text(AREA, raw)
    with pytest.raises(ValueProblem) as problem:
        parse_value(AREA, raw)
    sentence = message(caught.value.violation).removeprefix("squareMeters: ")
    assert str(problem.value) in (f"{sentence}.", f"This field is required (must be {ALLOWED}).")


@given(st.text(max_size=40))
def test_any_text_is_either_an_allowed_number_or_a_clear_problem(raw):
    try:
        value = parse_value(AREA, raw)
    except ValueProblem as problem:
        assert ALLOWED in str(problem)
    else:
        assert isinstance(value, int) and 1 <= value <= 100_000


def test_hints_and_formats():
    assert hint(AREA) == "A whole number from 1 to 100,000 m²."
    assert hint(YEAR) == "A whole number from 1900 to 2030."
    assert hint(POOL) == "Tick for yes."
    assert format_price(5_123_456.49) == "€5,123,456"
    assert format_price(999.5, "EUR") == "€1,000"
    assert format_price(1_200.2, "CHF") == "1,200 CHF"
    assert format_input(AREA, 12_000) == "12,000 m²"
    assert format_input(YEAR, 2005) == "2005"
    assert format_input(POOL, 1) == "yes" and format_input(POOL, 0) == "no"
