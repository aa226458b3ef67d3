"""The spec's rules over many rows at once: the array form of :mod:`paris_housing.datasets.rules`.

``/invocations``, batch scoring and ingestion check whole float64 arrays (one column per column
of the spec, NaN where a value is missing) instead of one value at a time, and report the first
violations with their row. The check is the same rule as
:func:`~paris_housing.datasets.rules.fault_of` (the tests hold them to it); a million rows cost a
few milliseconds.

The entry point of batch scoring is :func:`check_rows` (or :func:`frame_rows` for a DataFrame):
rows in, violations out; :class:`InvalidRows` carries them when raised.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from paris_housing.datasets.rules import (
    Fault,
    Violation,
    fault_of,
    message,
    summary,
    violation_of,
)
from paris_housing.datasets.spec import Column, DatasetSpec, Kind

CHUNK_ROWS = 8_192  # 1 MiB of float64 per 16 columns: stays in the CPU's cache
MAX_VIOLATIONS = 50


class InvalidRows(ValueError):
    """Rows that break the spec, with one violation per bad value (the first ones)."""

    def __init__(self, violations: Sequence[Violation], prefix: str = "") -> None:
        super().__init__(summary([message(v) for v in violations], prefix))
        self.violations = list(violations)


class RowChecker:
    """Checks float64 arrays of rows (columns in the order of ``columns``, by default the spec's
    features) against the spec."""

    def __init__(self, spec: DatasetSpec, columns: Sequence[Column] | None = None) -> None:
        self.spec = spec
        self.columns = tuple(spec.features if columns is None else columns)
        self.names = [c.name for c in self.columns]
        self.low = np.array([c.minimum for c in self.columns], dtype=np.float64)
        self.high = np.array([c.maximum for c in self.columns], dtype=np.float64)
        self.whole = np.array([c.kind is not Kind.NUMBER for c in self.columns])
        self.all_whole = bool(self.whole.all())

    def bad(self, rows: np.ndarray) -> np.ndarray:
        """Mask of the values that break the spec (NaN included)."""
        with np.errstate(invalid="ignore"):
            ok = (rows >= self.low) & (rows <= self.high)
            ok &= ~self.whole | (np.floor(rows) == rows)
        return ~ok

    def _chunk_ok(self, chunk: np.ndarray, buffer: np.ndarray) -> bool:
        """Whether every value of ``chunk`` is allowed, in contiguous passes over one buffer:
        ``x - low >= 0``, ``high - x >= 0`` (a NaN fails both), then ``x - floor(x) == 0`` for
        whole-number columns."""
        out = buffer[: len(chunk)]
        np.subtract(chunk, self.low, out=out)
        if not out.min() >= 0:
            return False
        np.subtract(self.high, chunk, out=out)
        if not out.min() >= 0:
            return False
        np.floor(chunk, out=out)
        np.subtract(chunk, out, out=out)
        return not (out.any() if self.all_whole else out[:, self.whole].any())

    def problems(self, rows: np.ndarray, limit: int = MAX_VIOLATIONS) -> list[Violation]:
        """The first ``limit`` bad values, each with its row, field, value and what is allowed."""
        found: list[Violation] = []
        if rows.shape[0] == 0:
            return found
        buffer = np.empty((min(len(rows), CHUNK_ROWS), rows.shape[1]), dtype=np.float64)
        for start in range(0, len(rows), CHUNK_ROWS):
            chunk = rows[start : start + CHUNK_ROWS]
            if self._chunk_ok(chunk, buffer):
                continue
            found.extend(self._describe(chunk, start, limit - len(found)))
            if len(found) >= limit:
                break
        return found

    def _describe(self, chunk: np.ndarray, offset: int, limit: int) -> list[Violation]:
        """The bad values of ``chunk`` (whose first row is row ``offset``) as violations."""
        found = []
        for index, col, fault in self.bad_cells(chunk):
            column = self.columns[col]
            value = None if fault is Fault.MISSING else float(chunk[index, col])
            found.append(violation_of(column, fault, value, offset + index))
            if len(found) >= limit:
                break
        return found

    def bad_cells(self, rows: np.ndarray) -> Iterator[tuple[int, int, Fault]]:
        """Row, column and fault of every bad value of ``rows``, row by row."""
        for index, col in np.argwhere(self.bad(rows)):
            fault = fault_of(self.columns[col], float(rows[index, col]))
            assert fault is not None, "the array and scalar forms of the rule disagree"
            yield int(index), int(col), fault

    def check(self, rows: np.ndarray) -> None:
        """Raise :class:`InvalidRows` unless every value is allowed."""
        problems = self.problems(rows)
        if problems:
            raise InvalidRows(problems)


def check_rows(spec: DatasetSpec, rows: Any) -> list[Violation]:
    """The first violations of ``rows`` (n x features in the spec's order, anything numpy reads
    as float64), or ``[]`` when every value is allowed; :class:`ValueError` for a wrong shape."""
    return RowChecker(spec).problems(rows_of(spec, rows))


def valid_rows(spec: DatasetSpec, rows: Any) -> np.ndarray:
    """``rows`` as checked float64 rows; :class:`InvalidRows` if any value breaks the spec."""
    array = rows_of(spec, rows)
    RowChecker(spec).check(array)
    return array


def frame_rows(spec: DatasetSpec, frame: Any) -> np.ndarray:
    """The spec's features of a DataFrame (other columns ignored) as checked float64 rows.

    :class:`InvalidRows` names the missing columns, the values that are not numbers and those
    the rules refuse, with their row (the position in the frame).
    """
    missing = [c for c in spec.features if c.name not in frame.columns]
    if missing:
        raise InvalidRows([violation_of(c, Fault.MISSING, None) for c in missing])
    try:
        rows = frame[spec.feature_names].to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidRows(_not_numbers(spec, frame)) from None
    return valid_rows(spec, rows)


def _not_numbers(spec: DatasetSpec, frame: Any) -> list[Violation]:
    found: list[Violation] = []
    for column in spec.features:
        for row, value in enumerate(frame[column.name].tolist()):
            if isinstance(value, bool) or not isinstance(value, int | float):
                found.append(violation_of(column, Fault.NOT_A_NUMBER, value, row))
                if len(found) >= MAX_VIOLATIONS:
                    return found
    return found


def rows_of(spec: DatasetSpec, rows: Any) -> np.ndarray:
    """``rows`` as a contiguous float64 array of the spec's width, or :class:`ValueError`."""
    array = np.ascontiguousarray(rows, dtype=np.float64)
    width = len(spec.features)
    if array.ndim != 2 or array.shape[1] != width:
        raise ValueError(
            f"rows of shape {array.shape} cannot be checked: expected a 2-D array with {width} "
            f"columns ({', '.join(spec.feature_names)})"
        )
    return array
