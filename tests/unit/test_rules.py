"""The spec's rules: one check for every surface, its array form, and the sentences it writes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from paris_housing.datasets import KAGGLE
from paris_housing.datasets.arrays import (
    InvalidRows,
    RowChecker,
    check_rows,
    frame_rows,
    valid_rows,
)
from paris_housing.datasets.rules import (
    MAX_SHOWN_CHARS,
    Fault,
    InvalidValue,
    check_value,
    fault_of,
    for_person,
    json_value,
    message,
    read_text,
    violation_of,
)

AREA = KAGGLE.column("squareMeters")
POOL = KAGGLE.column("hasPool")
ROOMS = KAGGLE.column("hasGuestRoom")
PRICE = KAGGLE.column("price")


@pytest.fixture(scope="module")
def rows(shipped_text) -> np.ndarray:
    return shipped_text[KAGGLE.feature_names].to_numpy(dtype=np.float64)


@pytest.mark.parametrize(
    ("column", "value", "fault"),
    [
        (POOL, 1.0, None),
        (ROOMS, 3.0, None),
        (POOL, 0.9999999999, Fault.NOT_WHOLE),
        (ROOMS, 4.9999999999, Fault.NOT_WHOLE),
        (POOL, 2.589e-42, Fault.NOT_WHOLE),
        (POOL, 1e-9, Fault.NOT_WHOLE),
        (AREA, 0, Fault.BELOW_MINIMUM),
        (AREA, 100_001, Fault.ABOVE_MAXIMUM),
        (AREA, math.nan, Fault.MISSING),
        (AREA, math.inf, Fault.NOT_FINITE),
        (AREA, -math.inf, Fault.NOT_FINITE),
        (PRICE, 1_000.5, None),
    ],
)
def test_whole_means_whole_and_ranges_are_inclusive(column, value, fault):
    assert fault_of(column, value) is fault


@pytest.mark.parametrize(
    ("text", "value"),
    [("120", 120), (" 120 ", 120), ("120.0", 120), ("1e3", 1000), ("+.1e4", 1000)],
)
def test_text_in_ascii_notation_is_read(text, value):
    assert read_text(AREA, text) == value


@pytest.mark.parametrize(
    ("text", "fault", "sentence"),
    [
        ("１２３", Fault.NOT_A_NUMBER, "squareMeters: '１２３' is not a number (must be a whole"),
        ("٣", Fault.NOT_A_NUMBER, "squareMeters: '٣' is not a number (must be"),
        ("75_523", Fault.NOT_A_NUMBER, "squareMeters: '75_523' is not a number (must be"),
        ("inf", Fault.NOT_A_NUMBER, "squareMeters: 'inf' is not a number"),
        ("nan", Fault.NOT_A_NUMBER, "squareMeters: 'nan' is not a number"),
        ("0x10", Fault.NOT_A_NUMBER, "squareMeters: '0x10' is not a number"),
        ("", Fault.MISSING, "squareMeters: is missing"),
        ("1e400", Fault.ABOVE_MAXIMUM, "squareMeters: 1e400 must be a whole number from 1 to"),
        ("-1e400", Fault.BELOW_MINIMUM, "squareMeters: -1e400 must be a whole number from 1 to"),
        ("1" * 400, Fault.ABOVE_MAXIMUM, "squareMeters: " + "1" * 32 + "… must be a whole number"),
        ("x" * 400, Fault.NOT_A_NUMBER, "squareMeters: '" + "x" * 32 + "'… is not a number"),
        ("2.5", Fault.NOT_WHOLE, "squareMeters: 2.5 must be a whole number from 1 to 100,000 m²"),
    ],
)
def test_other_text_is_refused_naming_the_field(text, fault, sentence):
    with pytest.raises(InvalidValue) as caught:
        read_text(AREA, text)
    assert caught.value.violation.fault is fault
    assert message(caught.value.violation).startswith(sentence)
    assert str(caught.value) == message(caught.value.violation)


@pytest.mark.parametrize(
    ("value", "fault", "sentence"),
    [
        ("75", Fault.NOT_A_NUMBER, "squareMeters: '75' is not a number (must be a whole number"),
        (True, Fault.NOT_A_NUMBER, "squareMeters: True is not a number"),
        (None, Fault.NOT_A_NUMBER, "squareMeters: None is not a number"),
        (75.5, Fault.NOT_WHOLE, "squareMeters: 75.5 must be a whole number from 1 to 100,000 m²"),
        (int("9" * 400), Fault.ABOVE_MAXIMUM, "squareMeters: " + "9" * (MAX_SHOWN_CHARS - 1)),
        (-(10**400), Fault.BELOW_MINIMUM, "squareMeters: -1000"),
    ],
)
def test_json_values_are_checked_by_the_same_rule(value, fault, sentence):
    found = check_value(AREA, value)
    assert found.fault is fault and message(found).startswith(sentence)
    assert check_value(AREA, 75) is None and check_value(AREA, 75.0) is None


def test_one_sentence_per_violation_wherever_it_is_shown():
    found = violation_of(AREA, Fault.BELOW_MINIMUM, 0, row=3)
    assert message(found) == "row 3, squareMeters: 0 must be a whole number from 1 to 100,000 m²"
    assert for_person(found) == "0 must be a whole number from 1 to 100,000 m²."
    missing = violation_of(AREA, Fault.MISSING, None)
    assert message(missing) == "squareMeters: is missing"
    assert (
        for_person(missing)
        == "This field is required (must be a whole number from 1 to 100,000 m²)."
    )
    assert (found.type, missing.type) == ("out_of_range", "missing")


def test_values_shown_back_are_always_valid_json_and_short():
    assert json_value(10**30) == str(10**30)
    assert json_value(float("nan")) == "nan"
    assert json_value(float("-inf")) == "-inf"
    assert json_value(b"\xff\xfe") == "\ufffd\ufffd"
    assert len(json_value("x" * 1000)) == MAX_SHOWN_CHARS
    assert json_value({"a": [1]}) == "{'a': [1]}"
    assert json_value(12) == 12 and json_value(1.5) == 1.5 and json_value(None) is None


FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-5, 100_005).map(float),
    st.integers(-5, 100_005).map(lambda n: n + 1e-9),
)


@settings(max_examples=200, deadline=None)
@given(values=arrays(np.float64, (8, len(KAGGLE.features)), elements=FLOATS))
def test_the_array_form_is_the_same_rule(values):
    checker = RowChecker(KAGGLE)
    cells = {(r, c): f for r, c, f in checker.bad_cells(values)}
    for (row, col), value in np.ndenumerate(values):
        assert cells.get((row, col)) is fault_of(KAGGLE.features[col], float(value))
    assert (not checker.problems(values)) is (not cells)


def test_the_checker_names_row_field_value_and_range(rows):
    rows = rows[:3].copy()
    rows[1, KAGGLE.feature_names.index("made")] = 1800
    rows[2, KAGGLE.feature_names.index("floors")] = 2.5
    rows[2, KAGGLE.feature_names.index("attic")] = np.nan
    found = {(v.row, v.field): v for v in RowChecker(KAGGLE).problems(rows)}
    assert set(found) == {(1, "made"), (2, "floors"), (2, "attic")}
    made = found[(1, "made")]
    assert made.value == 1800 and made.type == "out_of_range"
    assert made.allowed == "a whole number from 1900 to 2030"
    assert message(found[(2, "floors")]) == (
        "row 2, floors: 2.5 must be a whole number from 1 to 100"
    )
    assert found[(2, "attic")].value is None
    assert message(found[(2, "attic")]) == "row 2, attic: is missing"


def test_a_million_rows_are_checked_and_one_bad_value_at_the_end_is_found(rows):
    million = np.tile(rows, (100, 1))[:1_000_000]
    assert not check_rows(KAGGLE, million)
    million[-1, 0] = 0  # squareMeters below its minimum of 1
    with pytest.raises(InvalidRows) as caught:
        valid_rows(KAGGLE, million)
    [found] = caught.value.violations
    assert (found.row, found.field) == (999_999, "squareMeters")
    assert (
        str(caught.value)
        == "row 999999, squareMeters: 0 must be a whole number from 1 to 100,000 m²"
    )


def test_infinite_values_are_refused(rows):
    rows = rows[:2].copy()
    rows[0, 0] = np.inf
    found = check_rows(KAGGLE, rows)
    assert len(found) == 1
    found = found[0]
    assert message(found) == "row 0, squareMeters: inf must be a whole number from 1 to 100,000 m²"
    assert json_value(found.value) == "inf"


def test_a_frame_is_checked_by_name_with_its_missing_columns_and_non_numbers(shipped_text):
    frame = shipped_text.head(5).astype({c: float for c in KAGGLE.feature_names})
    np.testing.assert_array_equal(
        frame_rows(KAGGLE, frame.iloc[:, ::-1]), frame[KAGGLE.feature_names].to_numpy()
    )
    with pytest.raises(InvalidRows, match="floors: is missing"):
        frame_rows(KAGGLE, frame.drop(columns="floors"))
    words = frame.astype(object)
    words.loc[3, "garage"] = "big"
    with pytest.raises(InvalidRows, match="row 3, garage: 'big' is not a number"):
        frame_rows(KAGGLE, words)
    frame.loc[4, "hasPool"] = 0.5
    with pytest.raises(InvalidRows, match="row 4, hasPool: 0.5 must be 0 \\(no\\) or 1 \\(yes\\)"):
        frame_rows(KAGGLE, frame)
    with pytest.raises(ValueError, match="expected a 2-D array with 16 columns"):
        check_rows(KAGGLE, np.zeros((3, 4)))


def test_binary_and_integer_rows_from_pandas_keep_their_values():
    frame = pd.DataFrame([{c.name: c.default or c.minimum for c in KAGGLE.features}])
    assert frame_rows(KAGGLE, frame).shape == (1, 16)
