"""Row validation against a dataset spec: pure functions from raw text to accepted + quarantined.

Every value is read as text first, so nothing is lost to a parser's guess; each row that fails
gets one reason per failed check and goes to quarantine with its original text; every other row
is kept, typed by the spec. The checks and their sentences are the spec's rules
(:mod:`paris_housing.datasets.rules`), the ones the API and the web form apply:
``column: value must be what is allowed``.
"""

# pyarrow.compute makes its functions at import time, where pylint cannot see them:
# pylint: disable=no-member

from __future__ import annotations

import csv as stdcsv
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv

from paris_housing.datasets import DatasetSpec
from paris_housing.datasets.arrays import RowChecker
from paris_housing.datasets.rules import Violation, check_kind, message, show_text
from paris_housing.datasets.texts import read_column

ROW_COLUMN = "source_row"
REASONS_COLUMN = "reasons"
REASON_SEPARATOR = "; "
DUPLICATE = "row: duplicate of an earlier row"
RAGGED = "row: must have as many fields as the header"


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


@dataclass
class RawCsv:
    """A CSV file read as text. ``table`` holds the records that have the header's fields
    (Arrow strings without surrounding spaces, null where empty), ``lines`` the physical line
    where each starts (header = line 1 unless blank lines precede it); ``ragged`` holds the
    records with another number of fields (their first fields, by line) and ``faults`` why."""

    table: pa.Table
    lines: np.ndarray
    ragged: pd.DataFrame
    faults: dict[int, str] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        """The header's names."""
        return self.table.column_names

    def rows(self, positions: np.ndarray) -> pd.DataFrame:
        """The records of ``table`` at ``positions`` as text, by line (missing where empty)."""
        frame = self.table.take(pa.array(positions, type=pa.int64())).to_pandas()
        frame.index = pd.Index(self.lines[positions], name=ROW_COLUMN)
        return frame

    @property
    def frame(self) -> pd.DataFrame:
        """Every record as text, by line (for a look at a small file)."""
        every = self.rows(np.arange(self.table.num_rows))
        return pd.concat([every, self.ragged]).sort_index() if len(self.ragged) else every


def read_csv_text(data: bytes, source: str) -> RawCsv:
    """Parse CSV bytes with Arrow into stripped strings (empty -> missing); keep every record.

    A record whose number of fields differs from the header's is kept apart, with one fault that
    says so; the header must name each column once.
    """
    if not data or data.isspace():
        raise InputError(f"{source} is empty: expected a CSV file with a header row")
    if b"\x00" in data[:8192]:
        raise InputError(f"{source} is not a CSV file (it holds binary data)")
    header_start = len(data) - len(data.lstrip(b"\r\n"))
    header_line = data.count(b"\n", 0, header_start) + 1
    names = _header(data, header_start, source)
    ragged: list[csv.InvalidRow] = []

    def keep_ragged(row: csv.InvalidRow) -> str:
        ragged.append(row)
        return "skip"

    try:
        table = csv.read_csv(
            pa.py_buffer(data)[header_start:] if header_start else pa.py_buffer(data),
            read_options=csv.ReadOptions(use_threads=False, column_names=names, skip_rows=1),
            parse_options=csv.ParseOptions(
                newlines_in_values=True, invalid_row_handler=keep_ragged
            ),
            convert_options=csv.ConvertOptions(
                column_types={c: pa.string() for c in names}, strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid as exc:
        _refuse_utf8(data, source)
        raise InputError(f"{source} is not a readable CSV file: {exc}") from exc
    if table.num_rows + len(ragged) == 0:
        raise InputError(f"{source} has no data rows: expected a CSV file with a header row")
    spans = _record_spans(data, table, ragged)
    lines = record_lines(data, header_start, header_line, spans)
    bad_records = np.array([r.number - 2 for r in ragged], dtype=np.int64)
    good = np.ones(len(spans), dtype=bool)
    good[bad_records] = False
    table = pa.table([_stripped(c) for c in table.columns], names=names)
    fields = [_fields(row.text, len(names)) for row in ragged]
    apart = pd.DataFrame(
        [values[: len(names)] for values, _ in fields],
        columns=names,
        index=pd.Index(lines[bad_records], name=ROW_COLUMN),
        dtype=object,
    ).replace("", None)
    faults = {
        int(line): _ragged_reason(count, len(names), values[len(names) :])
        for line, (values, count) in zip(apart.index, fields)
    }
    return RawCsv(table, lines[good], apart, faults)


def _header(data: bytes, start: int, source: str) -> list[str]:
    """The header's names, stripped; each must be named once."""
    end = data.find(b"\n", start)
    line = data[start : None if end < 0 else end]
    try:
        text = line.decode("utf-8-sig")
    except UnicodeDecodeError:
        _refuse_utf8(data, source)
        raise
    names = [name.strip() for name in next(stdcsv.reader([text.rstrip("\r")]))]
    repeated = [name for name, count in Counter(names).items() if count > 1]
    if repeated:
        name = repeated[0]
        places = [str(i + 1) for i, n in enumerate(names) if n == name]
        raise InputError(
            f"{source} names the column {name!r} more than once in its header (columns "
            f"{' and '.join(places)}); each column must be named once"
        )
    return names


def _refuse_utf8(data: bytes, source: str) -> None:
    """Raise if ``data`` is not UTF-8, saying where (only called once a read has failed)."""
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source} is not a UTF-8 CSV file ({exc.reason} at byte {exc.start})"
        ) from exc


def _stripped(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Texts without surrounding spaces, null where empty."""
    trimmed = pc.utf8_trim_whitespace(column)
    return pc.if_else(pc.equal(trimmed, ""), None, trimmed)


def _fields(text: str, width: int) -> tuple[list[str | None], int]:
    """The stripped fields of one ragged record (padded to ``width``) and how many it has."""
    values = [v.strip() for v in next(stdcsv.reader([text], skipinitialspace=True), [""])]
    count = len(values) if text.strip() else 0
    return values + [""] * (width - len(values)), count


def _ragged_reason(count: int, width: int, extra: list[str | None]) -> str:
    plural = "field" if count == 1 else "fields"
    sentence = f"row has {count} {plural}; the header has {width}"
    shown = [show_text(v) if v else "(empty)" for v in extra if v is not None]
    return sentence + (f" (extra: {', '.join(shown)})" if shown else "")


def _record_spans(data: bytes, table: pa.Table, ragged: list[csv.InvalidRow]) -> np.ndarray:
    """How many physical lines each data record takes: 1, plus the line breaks inside its
    quoted values (only a file with a quote character can have them)."""
    spans = np.ones(table.num_rows + len(ragged), dtype=np.int64)
    if b'"' not in data:
        return spans
    inside = np.zeros(table.num_rows, dtype=np.int64)
    for column in table.columns:
        inside += pc.count_substring(column, "\n").to_numpy(zero_copy_only=False)
    good = np.ones(len(spans), dtype=bool)
    for row in ragged:
        good[row.number - 2] = False
        spans[row.number - 2] += row.text.count("\n")
    spans[good] += inside
    return spans


def record_lines(data: bytes, header_start: int, header_line: int, spans: np.ndarray) -> np.ndarray:
    """The physical line where each data record starts, given the lines each one spans.

    Blank lines between records are no records (Arrow skips them) but are lines of the file.
    """
    body = data[header_start:]
    breaks = np.flatnonzero(np.frombuffer(body, dtype=np.uint8) == ord("\n"))
    starts = np.concatenate(([0], breaks + 1))
    ends = np.append(breaks, len(body))
    lengths = ends - starts
    crlf = lengths == 1
    crlf[crlf] = np.frombuffer(body, dtype=np.uint8)[starts[crlf]] == ord("\r")
    filled = (lengths > 0) & ~crlf  # line 0 of the body is the header
    if np.all(spans == 1):
        return np.flatnonzero(filled[1:])[: len(spans)] + 1 + header_line
    lines = np.empty(len(spans), dtype=np.int64)
    line = 1
    for number, span in enumerate(spans):
        while line < len(filled) and not filled[line]:
            line += 1
        lines[number] = line + header_line
        line += span
    return lines


def check_columns(columns: list[str], spec: DatasetSpec, source: str) -> list[str]:
    """Raise if a required column is missing; return the extra columns that will be ignored."""
    missing = [c for c in spec.column_names if c not in columns]
    if missing:
        raise InputError(
            f"{source} lacks the required column(s) {', '.join(missing)}; "
            f"expected the columns: {', '.join(spec.column_names)}"
        )
    return [c for c in columns if c not in spec.column_names]


Reasons = dict[int, list[str]]  # source row -> one reason per failed check


def validate(raw: RawCsv, spec: DatasetSpec, source: str = "input") -> Validated:
    """Split ``raw`` (from :func:`read_csv_text`) into typed accepted rows and quarantined rows.

    A ragged row has only its fault as reason (its values are not in their columns); every
    other row is checked value by value, then for being a repeat of an earlier row.
    """
    ignored = check_columns(raw.columns, spec, source)
    reasons: Reasons = {row: [fault] for row, fault in raw.faults.items()}
    counts: Counter[str] = Counter({RAGGED: len(raw.faults)} if raw.faults else {})
    values, violations = read_values(raw.table.select(spec.column_names), spec, raw.lines)
    for row, found in sorted(violations.items()):
        reasons[row] = list(dict.fromkeys(message(v) for v in found))
        counts.update(f"{v.field}: {check_kind(v)}" for v in found)
    parsed = pd.DataFrame(
        values, index=pd.Index(raw.lines, name=ROW_COLUMN), columns=spec.column_names
    )
    for row, first in duplicates(parsed[~parsed.index.isin(list(violations))]):
        reasons[row] = [f"row: duplicate of row {first}"]
        counts[DUPLICATE] += 1

    bad = parsed.index.isin(list(reasons))
    quarantined = raw.rows(np.flatnonzero(bad))
    if len(raw.ragged):
        quarantined = pd.concat([quarantined, raw.ragged]).sort_index()
    quarantined[REASONS_COLUMN] = [REASON_SEPARATOR.join(reasons[r]) for r in quarantined.index]
    accepted = (parsed[~bad] if bad.any() else parsed).astype(spec.dtypes())
    return Validated(accepted, quarantined, ignored, counts)


def read_values(
    text: pd.DataFrame | pa.Table, spec: DatasetSpec, lines: np.ndarray | None = None
) -> tuple[np.ndarray, dict[int, list[Violation]]]:
    """The values of ``text`` (the spec's columns, as strings: a frame, or an Arrow table whose
    rows start at ``lines``) as float64, and the violations of each bad row (by its index or
    line), in column order: texts the spec's grammar refuses
    (:func:`~paris_housing.datasets.texts.read_column`), then values its rules refuse
    (:class:`~paris_housing.datasets.arrays.RowChecker`).
    """
    if isinstance(text, pd.DataFrame):
        columns = [text.iloc[:, col].to_numpy(dtype=object) for col in range(text.shape[1])]
        rows = text.index.to_numpy()
    else:
        columns = [text.column(col) for col in range(text.num_columns)]
        rows = np.arange(text.num_rows) if lines is None else lines
    values = np.empty((len(rows), len(columns)), dtype=np.float64)
    reported = np.zeros(values.shape, dtype=bool)
    found: dict[int, list[tuple[int, Violation]]] = {}
    for col, column in enumerate(spec.columns):
        values[:, col], refused = read_column(column, columns[col])
        for index, violation in refused.items():
            reported[index, col] = True
            found.setdefault(int(rows[index]), []).append((col, violation))
    for index, col, fault in RowChecker(spec, spec.columns).bad_cells(values):
        if reported[index, col]:
            continue
        column, cell = spec.columns[col], _cell(columns[col], index)
        shown = "" if cell is None else show_text(cell)
        violation = Violation(fault, column.name, cell, shown, column.allowed())
        found.setdefault(int(rows[index]), []).append((col, violation))
    return values, {
        row: [v for _, v in sorted(items, key=lambda item: item[0])] for row, items in found.items()
    }


def _cell(column: np.ndarray | pa.ChunkedArray, index: int) -> str | None:
    """The text at ``index`` of a column, None where missing."""
    cell = column[index]
    cell = cell.as_py() if isinstance(cell, pa.Scalar) else cell
    return None if cell is None or pd.isna(cell) else str(cell)


def duplicates(rows: pd.DataFrame) -> list[tuple[int, int]]:
    """Exact repeats of an earlier row of ``rows``, each with the first row it repeats (by
    index), in linear time: a 64-bit hash of each row finds the candidates and the first row
    with the same hash, and their values are compared (a collision of hashes is no repeat)."""
    if rows.empty:
        return []
    hashes = pd.util.hash_pandas_object(rows, index=False).to_numpy()
    repeat = pd.Series(hashes).duplicated(keep="first").to_numpy()
    if not repeat.any():
        return []
    unique = np.flatnonzero(~repeat)
    later = np.flatnonzero(repeat)
    first = unique[pd.Index(hashes[unique]).get_indexer(hashes[later])]
    values = rows.to_numpy()
    same = (values[later] == values[first]).all(axis=1)
    index = rows.index.to_numpy()
    return list(zip(index[later[same]].tolist(), index[first[same]].tolist()))
