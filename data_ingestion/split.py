"""Split validated rows into periods that stand for data arriving over time (pure functions)."""

from __future__ import annotations

import numpy as np
import pandas as pd


class TooFewTimes(ValueError):
    """The rows hold fewer distinct times than the periods to cut (a period needs a time of its
    own)."""


def order_by_time(frame: pd.DataFrame, time_column: str) -> pd.DataFrame:
    """Rows sorted by ``time_column``; ties keep their input order (a stable sort)."""
    return frame.sort_values(time_column, kind="stable").reset_index(drop=True)


def period_bounds(times: pd.Series, n_periods: int) -> list[int]:
    """Start positions of each period in ``times`` (sorted), cut only between distinct times.

    Each cut goes to the time boundary nearest to an equal-count cut, so one year never spans
    two periods and the periods are as even in size as the years allow.
    """
    if n_periods < 1:
        raise ValueError(f"n_periods must be at least 1, not {n_periods}")
    values = times.to_numpy()
    if len(values) and np.any(values[1:] < values[:-1]):
        raise ValueError("times must be sorted")
    boundaries = np.flatnonzero(values[1:] != values[:-1]) + 1  # where a new time starts
    if len(boundaries) < n_periods - 1:
        raise ValueError(
            f"cannot split {len(values)} rows with {len(boundaries) + 1} distinct time values "
            f"into {n_periods} periods"
        )
    starts = [0]
    for k in range(1, n_periods):
        ideal = k * len(values) / n_periods
        candidates = boundaries[boundaries > starts[-1]]
        # leave enough boundaries for the periods still to cut
        candidates = candidates[: len(candidates) - (n_periods - 1 - k)]
        starts.append(int(candidates[np.argmin(np.abs(candidates - ideal))]))
    return starts


def split_periods(frame: pd.DataFrame, time_column: str, n_periods: int) -> list[pd.DataFrame]:
    """``frame`` ordered by time and cut into ``n_periods`` consecutive, non-overlapping periods."""
    distinct = frame[time_column].nunique()
    if distinct < n_periods:
        rows = f"{len(frame):,} accepted row{'' if len(frame) == 1 else 's'}"
        raise TooFewTimes(
            f"{rows} with {distinct} distinct {time_column} value{'' if distinct == 1 else 's'} "
            f"cannot be cut into {n_periods} periods: each period needs {time_column} values of "
            f"its own, so at least {n_periods} distinct values are needed"
        )
    ordered = order_by_time(frame, time_column)
    starts = period_bounds(ordered[time_column], n_periods)
    ends = [*starts[1:], len(ordered)]
    return [ordered.iloc[a:b].reset_index(drop=True) for a, b in zip(starts, ends)]
