"""Row validation against a dataset spec: pure functions from raw text to accepted + quarantined.

Every value is read as text first, so nothing is lost to a parser's guess; each row that fails
gets one reason per failed check and goes to quarantine with its original text; every other row
is kept, typed by the spec. The checks and their sentences are the spec's rules
(:mod:`paris_housing.datasets.rules`), the ones the API and the web form apply:
``column: value must be what is allowed``.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from paris_housing.datasets import DatasetSpec
from paris_housing.datasets.arrays import RowChecker
from paris_housing.datasets.rules import Violation, check_kind, message, show_text
from paris_housing.datasets.texts import read_column

ROW_COLUMN = "source_row"
REASONS_COLUMN = "reasons"
REASON_SEPARATOR = "; "
DUPLICATE = "row: duplicate of an earlier row"


class InputError(ValueError):
    """The input cannot be ingested at all (not CSV, empty, a required column missing)."""


@dataclass
class Validated:
    """The outcome of validating a raw frame; ``reason_counts`` counts each kind of failed check
    ('column: check', e.g. 'floors: must be a whole number from 1 to 100')."""

    accepted: pd.DataFrame
    quarantined: pd.DataFrame
    ignored_columns: list[str] = field(default_factory=list)
    reason_counts: Counter[str] = field(default_factory=Counter)


def read_csv_text(data: bytes, source: str) -> pd.DataFrame:
    """Parse CSV bytes into a frame of stripped strings (empty -> missing); keep every row.

    The index is the row's line number in the file (header = line 1), for messages.
    """
    if not data.strip():
        raise InputError(f"{source} is empty: expected a CSV file with a header row")
    if b"\x00" in data[:8192]:
        raise InputError(f"{source} is not a CSV file (it holds binary data)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source} is not a UTF-8 CSV file ({exc.reason} at byte {exc.start})"
        ) from exc
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
            on_bad_lines="error",
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InputError(f"{source} is not a readable CSV file: {exc}") from exc
    if frame.empty:
        raise InputError(f"{source} has no data rows: expected a CSV file with a header row")
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.apply(lambda col: col.str.strip()).replace("", pd.NA)
    frame.index = pd.RangeIndex(2, len(frame) + 2, name=ROW_COLUMN)
    return frame


def check_columns(raw: pd.DataFrame, spec: DatasetSpec, source: str) -> list[str]:
    """Raise if a required column is missing; return the extra columns that will be ignored."""
    missing = [c for c in spec.column_names if c not in raw.columns]
    if missing:
        raise InputError(
            f"{source} lacks the required column(s) {', '.join(missing)}; "
            f"expected the columns: {', '.join(spec.column_names)}"
        )
    return [c for c in raw.columns if c not in spec.column_names]


Reasons = dict[int, list[str]]  # source row -> one reason per failed check


def validate(raw: pd.DataFrame, spec: DatasetSpec, source: str = "input") -> Validated:
    """Split ``raw`` (from :func:`read_csv_text`) into typed accepted rows and quarantined rows."""
    ignored = check_columns(raw, spec, source)
    text = raw[spec.column_names]
    values, violations = read_values(text, spec)
    reasons: Reasons = {}
    counts: Counter[str] = Counter()
    for row, found in sorted(violations.items()):
        reasons[row] = list(dict.fromkeys(message(v) for v in found))
        counts.update(f"{v.field}: {check_kind(v)}" for v in found)
    parsed = pd.DataFrame(values, index=text.index, columns=spec.column_names)
    for row, first in _duplicates(parsed, reasons):
        reasons[row] = [f"row: duplicate of row {first}"]
        counts[DUPLICATE] += 1

    bad = text.index.isin(list(reasons))
    quarantined = raw[bad].copy()
    quarantined[REASONS_COLUMN] = [REASON_SEPARATOR.join(reasons[r]) for r in quarantined.index]
    return Validated(parsed[~bad].astype(spec.dtypes()), quarantined, ignored, counts)


def read_values(
    text: pd.DataFrame, spec: DatasetSpec
) -> tuple[np.ndarray, dict[int, list[Violation]]]:
    """The values of ``text`` (the spec's columns, as strings) as float64, and the violations of
    each bad row (by source row), in column order: texts the spec's grammar refuses
    (:func:`~paris_housing.datasets.texts.read_column`), then values its rules refuse
    (:class:`~paris_housing.datasets.arrays.RowChecker`).
    """
    values = np.empty(text.shape, dtype=np.float64)
    reported = np.zeros(text.shape, dtype=bool)
    found: dict[int, list[tuple[int, Violation]]] = {}
    for col, column in enumerate(spec.columns):
        values[:, col], refused = read_column(column, text.iloc[:, col].to_numpy(dtype=object))
        for index, violation in refused.items():
            reported[index, col] = True
            found.setdefault(int(text.index[index]), []).append((col, violation))
    for index, col, fault in RowChecker(spec, spec.columns).bad_cells(values):
        if reported[index, col]:
            continue
        column, cell = spec.columns[col], text.iat[index, col]
        cell = None if pd.isna(cell) else str(cell)
        shown = "" if cell is None else show_text(cell)
        violation = Violation(fault, column.name, cell, shown, column.allowed())
        found.setdefault(int(text.index[index]), []).append((col, violation))
    return values, {
        row: [v for _, v in sorted(items, key=lambda item: item[0])] for row, items in found.items()
    }


def _duplicates(parsed: pd.DataFrame, reasons: Reasons) -> list[tuple[int, int]]:
    """Exact repeats of an otherwise valid row, each with the first row it repeats."""
    clean = parsed[~parsed.index.isin(list(reasons))]
    return [
        (row, _first_equal_row(clean, row)) for row in clean.index[clean.duplicated(keep="first")]
    ]


def _first_equal_row(frame: pd.DataFrame, row: int) -> int:
    target = frame.loc[row]
    equal = (frame == target).all(axis=1)
    return int(frame.index[equal.to_numpy().nonzero()[0][0]])
