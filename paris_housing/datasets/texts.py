"""The spec's grammar for text over whole columns at once: the array form of
:func:`paris_housing.datasets.rules.read_text`, for ingestion's files.

Arrow's compute functions match the grammar's own pattern (RE2) and parse the numbers (correctly
rounded, as Python's ``float`` does) in C, about four times as fast as ``pandas.to_numeric``,
which rounds long decimals differently and reads ``inf`` and ``nan`` as numbers. Only the texts
that are not numbers, or whose number is too large for a float, are read again one by one by
:func:`~paris_housing.datasets.rules.read_text`, for their violation; the tests hold the two
forms to the same verdicts.
"""

# pyarrow.compute makes its functions at import time, where pylint cannot see them:
# pylint: disable=no-member

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from paris_housing.datasets.rules import NUMBER, InvalidValue, Violation, read_text
from paris_housing.datasets.spec import Column

ANCHORED = f"^(?:{NUMBER.pattern})$"


def read_column(
    column: Column, texts: Sequence[str | None] | np.ndarray | pa.Array | pa.ChunkedArray
) -> tuple[np.ndarray, dict[int, Violation]]:
    """The float64 values of ``texts`` (stripped strings, None where missing: NaN; or an Arrow
    string array, read without a copy to Python) and the violation of each text the grammar
    refuses or whose number is too large, by position.

    The values' rules (range, whole numbers) are the checker's business
    (:class:`~paris_housing.datasets.arrays.RowChecker`), not this function's.
    """
    arrow = isinstance(texts, (pa.Array, pa.ChunkedArray))
    array = texts if arrow else pa.array(texts, type=pa.string(), from_pandas=True)
    number = pc.match_substring_regex(array, ANCHORED)
    values = pc.cast(pc.if_else(number, array, None), pa.float64())
    values = values.to_numpy(zero_copy_only=False).astype(np.float64, copy=True)
    present = pc.is_valid(array).to_numpy(zero_copy_only=False)
    doubtful = present & ~np.isfinite(values)  # not a number, or too large for a float
    violations: dict[int, Violation] = {}
    for index in np.flatnonzero(doubtful):
        try:
            values[index] = read_text(column, array[index].as_py())  # (surrounding spaces)
        except InvalidValue as invalid:
            violations[int(index)] = invalid.violation
    return values, violations
