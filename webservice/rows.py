"""Many rows at once: MLflow's scoring protocol, CSV, and vectorised checks against the spec.

``/invocations`` and in-process batch scoring validate whole arrays with numpy instead of one
pydantic object per row, and report the first problems with their row, field, value and range.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from paris_housing.datasets import DatasetSpec, Kind
from webservice.errors import MAX_PROBLEMS, ApiError, fields_allowed, problem, summary

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
CHUNK_ROWS = 8_192  # 1 MiB of float64 per 16 columns: stays in the CPU's cache
_NUMBERS = (int, float)


class InvalidRows(ValueError):
    """Rows that break the spec, with one problem per bad value (the first ones)."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__(summary(problems))
        self.problems = problems


class RowChecker:
    """Checks float64 arrays of rows (columns in the spec's feature order) against the spec."""

    def __init__(self, spec: DatasetSpec) -> None:
        self.spec = spec
        self.names = spec.feature_names
        self.low = np.array([c.minimum for c in spec.features], dtype=np.float64)
        self.high = np.array([c.maximum for c in spec.features], dtype=np.float64)
        self.whole = np.array([c.kind is not Kind.NUMBER for c in spec.features])
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

    def problems(self, rows: np.ndarray, limit: int = MAX_PROBLEMS) -> list[dict[str, Any]]:
        """The first ``limit`` bad values, each with its row, field, value and what is allowed."""
        found: list[dict[str, Any]] = []
        buffer = np.empty((min(len(rows), CHUNK_ROWS), rows.shape[1]), dtype=np.float64)
        for start in range(0, len(rows), CHUNK_ROWS):
            chunk = rows[start : start + CHUNK_ROWS]
            if self._chunk_ok(chunk, buffer):
                continue
            found.extend(self._describe(chunk, start, limit - len(found)))
            if len(found) >= limit:
                break
        return found

    def _describe(self, chunk: np.ndarray, offset: int, limit: int) -> list[dict[str, Any]]:
        """The bad values of ``chunk`` (whose first row is row ``offset``) as problems."""
        found = []
        for index, col in np.argwhere(self.bad(chunk))[:limit]:
            row = offset + int(index)
            column = self.spec.features[col]
            value = float(chunk[index, col])
            where = f"row {row}, {column.name}"
            if np.isnan(value):
                shown_value, kind, msg = None, "missing", f"{where} is missing"
            elif np.isinf(value):
                shown_value, kind = str(value), "wrong_type"
                msg = f"{where}: {value} is not a finite number"
            elif column.kind is not Kind.NUMBER and not value.is_integer():
                shown_value, kind, msg = (
                    value,
                    "wrong_type",
                    f"{where}: {value} is not a whole number",
                )
            else:
                shown_value = int(value) if value.is_integer() else value
                kind, msg = "out_of_range", f"{where}: {shown_value} is out of range"
            found.append(
                problem(
                    ["body", row, column.name],
                    column.name,
                    shown_value,
                    msg,
                    column.allowed(),
                    kind,
                )
            )
        return found

    def check(self, rows: np.ndarray) -> None:
        """Raise :class:`InvalidRows` unless every value is allowed."""
        problems = self.problems(rows)
        if problems:
            raise InvalidRows(problems)


def bad_request(problems: list[dict[str, Any]], prefix: str = "") -> ApiError:
    """A 400 for rows that cannot be scored."""
    return ApiError(400, "validation", summary(problems, prefix), problems)


def matrix(
    spec: DatasetSpec, columns: Sequence[Any], rows: Sequence[Any], max_rows: int
) -> np.ndarray:
    """``rows`` (lists of values in the order of ``columns``) as a float64 array in spec order.

    Raises :class:`ApiError`: 413 beyond ``max_rows``; 400 for missing or unknown columns, rows of
    the wrong length and values that are not JSON numbers.
    """
    if len(rows) > max_rows:
        raise too_many_rows(len(rows), max_rows)
    if not rows:
        raise ApiError(
            400,
            "validation",
            "no rows to score",
            [problem(["body"], None, 0, "there are no rows", "at least 1 row", "empty")],
        )
    columns = list(columns)
    names = spec.feature_names
    problems = [
        problem(
            ["body", "columns"], n, None, f"{n} is missing", spec.column(n).allowed(), "missing"
        )
        for n in names
        if n not in columns
    ] + [
        problem(
            ["body", "columns"],
            str(c),
            c,
            f"{c} is not a field of a home",
            fields_allowed(spec),
            "extra_forbidden",
        )
        for c in columns
        if c not in names
    ]
    if problems:
        raise bad_request(problems)
    problems = _type_problems(spec, columns, rows)
    if problems:
        raise bad_request(problems)
    array = np.asarray(rows, dtype=np.float64)
    order = [columns.index(n) for n in names]
    return array[:, order] if order != list(range(len(columns))) else array


def _type_problems(spec: DatasetSpec, columns: list[Any], rows: Sequence[Any]) -> list[dict]:
    width = len(columns)
    found: list[dict] = []
    for index, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != width:
            found.append(
                problem(
                    ["body", index],
                    None,
                    row,
                    f"row {index}: must be a list of {width} values",
                    f"one value per column: {', '.join(map(str, columns))}",
                    "wrong_shape",
                )
            )
        elif not all(type(v) in _NUMBERS for v in row):  # bool and str are refused
            for name, value in zip(columns, row):
                if type(value) not in _NUMBERS:
                    found.append(
                        problem(
                            ["body", index, name],
                            name,
                            value,
                            f"row {index}, {name}: {value!r} is not a number",
                            spec.column(name).allowed(),
                            "wrong_type",
                        )
                    )
        if len(found) >= MAX_PROBLEMS:
            break
    return found


def too_many_rows(count: int, max_rows: int) -> ApiError:
    """413 for a batch over the limit."""
    return ApiError(
        413,
        "batch_too_large",
        f"the batch has {count} rows; at most {max_rows} are allowed per request "
        "(split it, or score large files in-process)",
        [problem(["body"], None, count, f"{count} rows", f"at most {max_rows} rows", "too_large")],
    )


def _format_error(message: str, value: Any = None) -> ApiError:
    return ApiError(
        400,
        "validation",
        message,
        [
            problem(
                ["body"],
                None,
                value,
                message,
                "a JSON object with exactly one of the keys " + ", ".join(FORMATS),
                "wrong_format",
            )
        ],
    )


def from_mlflow_json(payload: Any, spec: DatasetSpec, max_rows: int) -> tuple[np.ndarray, str]:
    """The rows of an MLflow scoring request, and which of its four formats it used.

    ``dataframe_split`` ({"columns": [...], "data": [[...]]}), ``dataframe_records``
    ([{...}, ...]), ``instances`` and ``inputs`` (records, a dict of columns, or lists of values
    in the spec's order). Other top-level keys (such as ``params``) are ignored, as MLflow does.
    """
    if not isinstance(payload, dict):
        raise _format_error("the body must be a JSON object", type(payload).__name__)
    keys = [k for k in FORMATS if k in payload]
    if len(keys) != 1:
        raise _format_error(
            f"the body must have exactly one of the keys {', '.join(FORMATS)}; "
            f"it has {', '.join(map(str, payload)) or 'none'}",
            sorted(map(str, payload)),
        )
    key = keys[0]
    data = payload[key]
    if key == "dataframe_split":
        if not isinstance(data, dict) or not isinstance(data.get("columns"), list):
            raise _format_error('dataframe_split must be {"columns": [...], "data": [[...]]}')
        rows = data.get("data")
        if not isinstance(rows, list):
            raise _format_error("dataframe_split.data must be a list of rows")
        return matrix(spec, data["columns"], rows, max_rows), key
    return _records_or_columns(data, spec, max_rows, key), key


def _records_or_columns(data: Any, spec: DatasetSpec, max_rows: int, key: str) -> np.ndarray:
    if isinstance(data, dict) and key in ("inputs", "instances"):  # {"column": [values]}
        columns = list(data)
        values = list(data.values())
        if not all(isinstance(v, list) for v in values) or len({len(v) for v in values}) > 1:
            raise _format_error(f"{key} as columns must map each field to a list of equal length")
        return matrix(spec, columns, [list(r) for r in zip(*values)], max_rows)
    if not isinstance(data, list):
        raise _format_error(f"{key} must be a list of rows")
    if len(data) > max_rows:
        raise too_many_rows(len(data), max_rows)
    if data and all(isinstance(r, list) for r in data) and key != "dataframe_records":
        return matrix(spec, spec.feature_names, data, max_rows)  # positional, spec order
    if not all(isinstance(r, dict) for r in data):
        raise _format_error(f"{key} must be a list of objects (one per row)")
    columns = list(dict.fromkeys(k for r in data for k in r))
    missing = object()
    rows = [[r.get(c, missing) for c in columns] for r in data]
    absent = [
        problem(
            ["body", i, c],
            c,
            None,
            f"row {i}, {c} is missing",
            spec.column(c).allowed() if c in spec.feature_names else None,
            "missing",
        )
        for i, row in enumerate(rows)
        for c, v in zip(columns, row)
        if v is missing
    ]
    if absent:
        raise bad_request(absent[:MAX_PROBLEMS])
    return matrix(spec, columns, rows, max_rows)


def from_csv(body: bytes, spec: DatasetSpec, max_rows: int) -> np.ndarray:
    """The rows of a CSV body with a header line (``pandas.DataFrame.to_csv(index=False)``)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _format_error(f"the CSV body is not UTF-8: {exc}") from exc
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise _format_error(f"the CSV body cannot be read: {exc}") from exc
    if not lines:
        raise _format_error("the CSV body is empty")
    header, records = lines[0], [line for line in lines[1:] if line]
    if len(records) > max_rows:
        raise too_many_rows(len(records), max_rows)
    problems: list[dict] = []
    rows: list[list[float]] = []
    for index, record in enumerate(records):
        row = []
        for name, text_value in zip(header, record):
            try:
                row.append(float(text_value))
            except ValueError:
                problems.append(
                    problem(
                        ["body", index, name],
                        name,
                        text_value,
                        f"row {index}, {name}: {text_value!r} is not a number",
                        spec.column(name).allowed() if name in spec.feature_names else None,
                        "wrong_type",
                    )
                )
        rows.append(row if len(record) == len(header) else record)  # type: ignore[arg-type]
    if problems:
        raise bad_request(problems[:MAX_PROBLEMS])
    return matrix(spec, header, rows, max_rows)
