"""Row validation against a dataset spec: pure functions from raw text to accepted + quarantined.

Every value is read as text first, so nothing is lost to a parser's guess; each row that fails
gets one reason per failed check (``column: value -> what is allowed``) and goes to quarantine
with its original text; every other row is kept, typed by the spec.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd
import pandera.pandas as pa

from paris_housing.datasets import DatasetSpec
from paris_housing.schema import MISSING, parsed_schema

ROW_COLUMN = "source_row"
REASONS_COLUMN = "reasons"
REASON_SEPARATOR = "; "


class InputError(ValueError):
    """The input cannot be ingested at all (not CSV, empty, a required column missing)."""


@dataclass
class Validated:
    """The outcome of validating a raw frame."""

    accepted: pd.DataFrame
    quarantined: pd.DataFrame
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def reason_counts(self) -> Counter[str]:
        """How many times each kind of check failed: 'column: check'."""
        counts: Counter[str] = Counter()
        for reasons in self.quarantined[REASONS_COLUMN]:
            for reason in reasons.split(REASON_SEPARATOR):
                column, _, rest = reason.partition(": ")
                counts[f"{column}: {_check_kind(rest)}"] += 1
        return counts


def _check_kind(reason_text: str) -> str:
    """'12 must be a whole number from 1 to 10' -> 'must be a whole number from 1 to 10'."""
    for marker in ("is not a number", "is missing", "must be", "duplicate"):
        if marker in reason_text:
            return reason_text[reason_text.index(marker) :]
    return reason_text


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
    parsed = text.apply(pd.to_numeric, errors="coerce").astype(float)
    not_numeric = text.notna() & parsed.isna()

    reasons: Reasons = {}
    _add_parse_reasons(reasons, text, not_numeric, spec)
    _add_check_reasons(reasons, text, parsed, not_numeric, spec)
    _add_duplicate_reasons(reasons, parsed)

    bad = text.index.isin(list(reasons))
    quarantined = raw[bad].copy()
    quarantined[REASONS_COLUMN] = [
        REASON_SEPARATOR.join(dict.fromkeys(reasons[r])) for r in quarantined.index
    ]
    return Validated(parsed[~bad].astype(spec.dtypes()), quarantined, ignored)


def _add_parse_reasons(
    reasons: Reasons, text: pd.DataFrame, not_numeric: pd.DataFrame, spec: DatasetSpec
) -> None:
    for row, column in zip(*not_numeric.to_numpy().nonzero()):
        name = spec.column_names[column]
        reasons.setdefault(text.index[row], []).append(
            f"{name}: {text.iat[row, column]!r} is not a number "
            f"(must be {spec.column(name).allowed()})"
        )


def _add_check_reasons(
    reasons: Reasons,
    text: pd.DataFrame,
    parsed: pd.DataFrame,
    not_numeric: pd.DataFrame,
    spec: DatasetSpec,
) -> None:
    """One reason per check of the spec's pandera schema that a value fails."""
    try:
        parsed_schema(spec).validate(parsed, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.dropna(subset=["index"])
        for case in cases.itertuples(index=False):
            row, name = int(case.index), str(case.column)
            if not_numeric.at[row, name]:
                continue  # already reported as not a number
            if case.check == "not_nullable":
                reasons.setdefault(row, []).append(f"{name}: {MISSING}")
            else:
                reasons.setdefault(row, []).append(f"{name}: {text.at[row, name]} {case.check}")


def _add_duplicate_reasons(reasons: Reasons, parsed: pd.DataFrame) -> None:
    """Exact repeats of an otherwise valid row, naming the row they repeat."""
    clean = parsed[~parsed.index.isin(list(reasons))]
    for row in clean.index[clean.duplicated(keep="first")]:
        reasons[row] = [f"row: duplicate of row {_first_equal_row(clean, row)}"]


def _first_equal_row(frame: pd.DataFrame, row: int) -> int:
    target = frame.loc[row]
    equal = (frame == target).all(axis=1)
    return int(frame.index[equal.to_numpy().nonzero()[0][0]])
