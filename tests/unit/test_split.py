"""Periods are consecutive in time, never share a year, and are as even as the years allow."""

import pandas as pd
import pytest

from data_ingestion.split import TooFewTimes, order_by_time, period_bounds, split_periods


def test_order_by_time_is_stable():
    frame = pd.DataFrame({"made": [2001, 1999, 2001, 1999], "id": [0, 1, 2, 3]})
    assert order_by_time(frame, "made")["id"].tolist() == [1, 3, 0, 2]


def test_cuts_fall_between_years_nearest_to_equal_counts():
    times = pd.Series([1990] * 3 + [1991] * 3 + [1992] * 3 + [1993] * 3)
    assert period_bounds(times, 4) == [0, 3, 6, 9]
    assert period_bounds(times, 2) == [0, 6]


def test_a_year_never_spans_two_periods():
    times = pd.Series(sorted([2000] * 7 + [2001] * 1 + [2002] * 1 + [2003] * 1))
    periods = split_periods(pd.DataFrame({"made": times}), "made", 4)
    assert [p["made"].unique().tolist() for p in periods] == [[2000], [2001], [2002], [2003]]


def test_split_keeps_every_row_once_and_in_order():
    frame = pd.DataFrame({"made": [(i * 7) % 32 + 1990 for i in range(1000)], "id": range(1000)})
    periods = split_periods(frame, "made", 4)
    joined = pd.concat(periods)
    assert sorted(joined["id"]) == list(range(1000))
    assert joined["made"].is_monotonic_increasing
    for earlier, later in zip(periods, periods[1:]):
        assert earlier["made"].max() < later["made"].min()
    assert all(200 <= len(p) <= 300 for p in periods)


def test_too_few_distinct_times_is_a_clear_error():
    with pytest.raises(ValueError, match="2 distinct time values into 4 periods"):
        period_bounds(pd.Series([1, 1, 2, 2]), 4)


@pytest.mark.parametrize(
    "made, message",
    [
        ([], "0 accepted rows with 0 distinct made values cannot be cut into 4 periods"),
        ([1999], "1 accepted row with 1 distinct made value cannot be cut into 4 periods"),
        ([1999, 2000, 2000, 2001, 2001], "5 accepted rows with 3 distinct made values cannot"),
    ],
)
def test_fewer_distinct_times_than_periods_is_one_sentence(made, message):
    with pytest.raises(TooFewTimes, match=message):
        split_periods(pd.DataFrame({"made": made}, dtype="int64"), "made", 4)
