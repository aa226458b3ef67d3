"""Many rows at once: MLflow's scoring protocol and CSV, read into a float64 array in the spec's
feature order. The values are then checked by the array form of the spec's rules
(:class:`~paris_housing.datasets.arrays.RowChecker`); here only the shape of the body and the
type of each value are checked, with their row, field and value.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from paris_housing.datasets import DatasetSpec, rules
from paris_housing.datasets.rules import Fault, InvalidValue
from webservice.errors import (
    MAX_PROBLEMS,
    ApiError,
    from_violation,
    problem,
    repeated,
    summary_of,
)

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
_NUMBERS = (int, float)


def bad_request(problems: list[dict[str, Any]], prefix: str = "") -> ApiError:
    """A 400 for rows that cannot be scored."""
    return ApiError(400, "validation", summary_of(problems, prefix), problems)


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
    check_columns(spec, columns)
    problems = _type_problems(spec, columns, rows)
    if problems:
        raise bad_request(problems)
    try:
        array = np.asarray(rows, dtype=np.float64)
    except OverflowError:  # an integer of hundreds of digits
        raise bad_request(_value_problems(spec, columns, rows)) from None
    order = [columns.index(n) for n in spec.feature_names]
    return array[:, order] if order != list(range(len(columns))) else array


def check_columns(spec: DatasetSpec, columns: list[Any]) -> None:
    """400 naming the columns named twice, then the spec's columns missing from ``columns`` and
    the unknown ones."""
    twice = sorted(str(c) for c, n in Counter(map(str, columns)).items() if n > 1)
    if twice:
        raise bad_request([repeated(["body", "columns"], name, "column") for name in twice])
    names = spec.feature_names
    missing = [rules.violation_of(spec.column(n), Fault.MISSING, None) for n in names]
    problems = [
        from_violation(v, ["body", "columns"]) for v in missing if v.field not in columns
    ] + [
        from_violation(rules.unknown_field(spec, str(c), c), ["body", "columns"])
        for c in columns
        if c not in names
    ]
    if problems:
        raise bad_request(problems)


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
            found.extend(
                from_violation(
                    rules.violation_of(spec.column(name), Fault.NOT_A_NUMBER, value, index)
                )
                for name, value in zip(columns, row)
                if type(value) not in _NUMBERS
            )
        if len(found) >= MAX_PROBLEMS:
            break
    return found


def _value_problems(spec: DatasetSpec, columns: list[Any], rows: Sequence[Any]) -> list[dict]:
    """The values of ``rows`` the rules refuse (integers too large for a float among them)."""
    found: list[dict] = []
    for index, row in enumerate(rows):
        for name, value in zip(columns, row):
            violation = rules.check_value(spec.column(name), value)
            if violation is not None:
                found.append(from_violation(violation.at(index)))
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
    check_columns(spec, columns)
    missing = object()
    rows = [[r.get(c, missing) for c in columns] for r in data]
    absent = [
        from_violation(rules.violation_of(spec.column(c), Fault.MISSING, None, i))
        for i, row in enumerate(rows)
        for c, v in zip(columns, row)
        if v is missing
    ]
    if absent:
        raise bad_request(absent[:MAX_PROBLEMS])
    return matrix(spec, columns, rows, max_rows)


def from_csv(body: bytes, spec: DatasetSpec, max_rows: int) -> np.ndarray:
    """The rows of a CSV body with a header line (``pandas.DataFrame.to_csv(index=False)``),
    each value read by the spec's grammar for text (ASCII digits; an empty cell is missing)."""
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
    header, records = [name.strip() for name in lines[0]], [line for line in lines[1:] if line]
    if len(records) > max_rows:
        raise too_many_rows(len(records), max_rows)
    check_columns(spec, header)
    columns = [spec.column(name) for name in header]
    problems: list[dict] = []
    rows: list[list[float] | list[str]] = []
    for index, record in enumerate(records):
        if len(record) != len(header):
            rows.append(record)  # refused by matrix() as a row of the wrong length
            continue
        row = []
        for column, cell in zip(columns, record):
            try:
                row.append(rules.read_text(column, cell, index))
            except InvalidValue as invalid:
                problems.append(from_violation(invalid.violation))
                row.append(np.nan)
        rows.append(row)
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise bad_request(problems[:MAX_PROBLEMS])
    return matrix(spec, header, rows, max_rows)
