"""Validation keeps every valid row and quarantines each bad one, one reason per failed check."""

import re
import time

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_ingestion.validation import (
    REASONS_COLUMN,
    InputError,
    read_csv_text,
    read_values,
    validate,
)
from paris_housing.datasets.rules import InvalidValue, read_text


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


@pytest.fixture
def sample(shipped_text):
    return shipped_text.head(50).copy()


def test_shipped_rows_are_all_accepted_with_spec_dtypes(spec, sample):
    result = validate(read_csv_text(_csv(sample), "x.csv"), spec)
    assert len(result.accepted) == 50 and result.quarantined.empty
    assert result.accepted.dtypes.astype(str).to_dict() == spec.dtypes()
    assert result.accepted["squareMeters"].iloc[0] == int(sample["squareMeters"].iloc[0])


@pytest.mark.parametrize(
    "column, value, reason",
    [
        ("squareMeters", "-5", "squareMeters: -5 must be a whole number from 1 to 100,000 m²"),
        ("hasPool", "2", "hasPool: 2 must be 0 (no) or 1 (yes)"),
        ("numberOfRooms", "2.5", "numberOfRooms: 2.5 must be a whole number from 1 to 100"),
        ("cityPartRange", "abc", "cityPartRange: 'abc' is not a number (must be a whole number"),
        ("made", "", "made: is missing"),
        ("price", "inf", "price: 'inf' is not a number (must be a number from 1,000 to 20,000,000"),
        ("hasPool", "0.9999999999", "hasPool: 0.9999999999 must be 0 (no) or 1 (yes)"),
        ("hasGuestRoom", "2.589e-42", "hasGuestRoom: 2.589e-42 must be a whole number from 0 to"),
        ("floors", "１２", "floors: '１２' is not a number (must be a whole number from 1 to 100)"),
        ("floors", "٣", "floors: '٣' is not a number (must be a whole number from 1 to 100)"),
        ("cityCode", "75_523", "cityCode: '75_523' is not a number (must be a whole number"),
        ("garage", "1e400", "garage: 1e400 must be a whole number from 0 to 1,000 m²"),
        ("garage", "1" * 400, "garage: " + "1" * 32 + "… must be a whole number from 0 to 1,000"),
        (
            "floors",
            "2." + "5" * 99,
            "floors: 2." + "5" * 30 + "… must be a whole number from 1 to 100",
        ),
    ],
)
def test_each_bad_value_gets_its_reason_and_nothing_valid_is_lost(
    spec, sample, column, value, reason
):
    sample.loc[7, column] = value
    result = validate(read_csv_text(_csv(sample), "x.csv"), spec)
    assert len(result.accepted) == 49
    assert result.quarantined.index.tolist() == [9]  # line 9 of the file: header + 8th row
    assert result.quarantined[REASONS_COLUMN].iloc[0].startswith(reason)
    kept = result.quarantined[column].iloc[0]
    assert pd.isna(kept) if value == "" else kept == value


def test_one_reason_per_failed_check_of_a_row(spec, sample):
    sample.loc[3, ["squareMeters", "hasYard", "floors"]] = ["0", "x", ""]
    result = validate(read_csv_text(_csv(sample), "x.csv"), spec)
    reasons = result.quarantined[REASONS_COLUMN].iloc[0].split("; ")
    assert sorted(r.split(":")[0] for r in reasons) == ["floors", "hasYard", "squareMeters"]
    assert result.reason_counts == {
        "squareMeters: must be a whole number from 1 to 100,000 m²": 1,
        "hasYard: is not a number (must be 0 (no) or 1 (yes))": 1,
        "floors: is missing": 1,
    }


def test_duplicate_rows_are_quarantined_naming_the_first(spec, sample):
    doubled = pd.concat([sample, sample.iloc[[4]], sample.iloc[[9]]], ignore_index=True)
    result = validate(read_csv_text(_csv(doubled), "x.csv"), spec)
    assert len(result.accepted) == 50
    assert result.quarantined[REASONS_COLUMN].tolist() == [
        "row: duplicate of row 6",
        "row: duplicate of row 11",
    ]
    assert result.reason_counts == {"row: duplicate of an earlier row": 2}


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [("hasPool", "1.0", 1), ("numPrevOwners", "0e843", 0), ("floors", "+1e1", 10)],
)
def test_numbers_in_any_ascii_notation_are_read(spec, sample, column, value, expected):
    sample.loc[0, column] = value
    result = validate(read_csv_text(_csv(sample), "x.csv"), spec)
    assert result.quarantined.empty
    assert result.accepted[column].iloc[0] == expected


NUMBERISH = st.text(
    alphabet="0123456789+-.eE _xinfaINF١１", min_size=1, max_size=8
) | st.from_regex(r"[0-9]{1,12}\.[0-9]{1,14}", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(NUMBERISH, min_size=1, max_size=20), name=st.sampled_from(["made", "price"]))
def test_the_frame_reader_gives_the_verdict_of_the_spec_s_grammar(spec, texts, name):
    """The columns are read at once; the result must be what the one rule says of each text,
    to the last bit of each value."""
    column = spec.column(name)
    frame = pd.DataFrame(
        {c.name: [str(c.default or c.minimum)] * len(texts) for c in spec.columns}
    ).astype(object)
    frame[column.name] = [t.strip() or pd.NA for t in texts]
    values, found = read_values(frame[spec.column_names], spec)
    where = spec.column_names.index(column.name)
    for row, text in enumerate(texts):
        try:
            expected = read_text(column, text)
        except InvalidValue as invalid:
            assert found[row] == [invalid.violation], text
        else:
            assert row not in found and values[row, where] == expected, text


def test_extra_columns_are_reported_and_kept_in_quarantine_only(spec, sample):
    sample.insert(0, "id", range(len(sample)))
    sample.loc[0, "garage"] = "5000"
    result = validate(read_csv_text(_csv(sample), "x.csv"), spec)
    assert result.ignored_columns == ["id"]
    assert list(result.accepted.columns) == spec.column_names
    assert result.quarantined["id"].tolist() == ["0"]


def test_a_missing_column_is_an_error_naming_it(spec, sample):
    with pytest.raises(InputError, match="lacks the required column\\(s\\) hasPool"):
        validate(read_csv_text(_csv(sample.drop(columns="hasPool")), "x.csv"), spec)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "is empty"),
        (b"   \n\n", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV file"),
        ("squareMeters,price\n".encode(), "no data rows"),
        (b"\xff\xfe\xfa bad", "not a UTF-8 CSV file"),
        (b"a,b\n1,2\n\xff,3\n", "not a UTF-8 CSV file"),
        (b"a,b,a\n1,2,3\n", "names the column 'a' more than once in its header (columns 1 and 3)"),
    ],
)
def test_unreadable_input_is_a_clear_error(data, message):
    with pytest.raises(InputError, match=re.escape(message)):
        read_csv_text(data, "x.csv")


def test_whitespace_and_crlf_are_tolerated(spec, sample):
    text = _csv(sample).decode().replace(",", " , ").replace("\n", "\r\n").encode()
    assert len(validate(read_csv_text(text, "x.csv"), spec).accepted) == 50


def _lines(frame: pd.DataFrame) -> list[str]:
    return _csv(frame).decode().splitlines()


@pytest.mark.parametrize("where", [0, 4999])
@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda line: line + ",7", "row has 18 fields; the header has 17 (extra: 7)"),
        (lambda line: line.rsplit(",", 1)[0], "row has 16 fields; the header has 17"),
        (lambda line: "", None),
    ],
)
def test_a_ragged_row_is_one_quarantined_row_and_the_others_are_kept(
    spec, shipped_text, where, change, reason
):
    lines = _lines(shipped_text.head(6000))
    lines[where + 1] = change(lines[where + 1])
    result = validate(read_csv_text(("\n".join(lines) + "\n").encode(), "x.csv"), spec)
    if reason is None:  # a blank line is no row
        assert len(result.accepted) == 5999 and result.quarantined.empty
        return
    assert len(result.accepted) == 5999
    assert result.quarantined.index.tolist() == [where + 2]
    assert result.quarantined[REASONS_COLUMN].tolist() == [reason]
    assert result.reason_counts == {"row: must have as many fields as the header": 1}
    first = lines[where + 1].split(",")
    assert result.quarantined.iloc[0, :2].tolist() == first[:2]


def test_quarantine_lines_are_the_physical_lines_of_the_source(spec, sample):
    lines = _lines(sample)
    lines[10] = lines[10].replace(lines[10].split(",")[0], "-5", 1)
    lines[20] += ",1"
    text = "\n\n".join(lines[:5]) + "\n\n\n\n" + "\r\n".join(lines[5:]) + "\r\n"
    result = validate(read_csv_text(text.encode(), "x.csv"), spec)
    # lines 1-5 are separated by blank lines (lines 1, 3, 5, 7, 9), then 3 more blank lines
    assert result.quarantined.index.tolist() == [10 + 8, 20 + 8]
    assert result.quarantined[REASONS_COLUMN].str[:14].tolist() == [
        "squareMeters: ",
        "row has 18 fie",
    ]


def test_a_line_break_inside_a_quoted_value_counts_as_a_line(spec, sample):
    sample.insert(0, "note", "plain")
    sample.loc[2, "note"] = "two\nlines"
    sample.loc[5, "price"] = "-1"
    result = validate(read_csv_text(_csv(sample), "x.csv"), spec)
    assert result.quarantined.index.tolist() == [5 + 3]
    assert result.quarantined["note"].tolist() == ["plain"]


def test_duplicates_are_found_in_linear_time(spec, shipped_text):
    """40,000 repeats once took 34 s (a scan of the frame per repeat)."""
    doubled = pd.concat([shipped_text] * 5, ignore_index=True)
    raw = read_csv_text(_csv(doubled), "x.csv")
    started = time.perf_counter()
    result = validate(raw, spec)
    assert time.perf_counter() - started < 5
    assert len(result.accepted) == 10_000 and len(result.quarantined) == 40_000
    assert result.quarantined[REASONS_COLUMN].iloc[-1] == "row: duplicate of row 10001"
