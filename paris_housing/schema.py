"""The pandera schema of a validated frame, generated from the spec's rules (never by hand).

Its checks are the array form of the rules (:class:`~paris_housing.datasets.arrays.RowChecker`)
and its failures say what :func:`~paris_housing.datasets.rules.requirement` says.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from paris_housing.datasets import Column, DatasetSpec
from paris_housing.datasets.arrays import RowChecker
from paris_housing.datasets.rules import requirement


def _rule(spec: DatasetSpec, column: Column) -> pa.Check:
    checker = RowChecker(spec, [column])

    def allowed(values: pd.Series) -> pd.Series:
        bad = checker.bad(values.to_numpy(dtype=np.float64).reshape(-1, 1))[:, 0]
        return pd.Series(~bad, index=values.index)

    return pa.Check(allowed, error=requirement(column), name="spec_rule")


def typed_schema(spec: DatasetSpec) -> pa.DataFrameSchema:
    """The contract of a validated frame: exactly the spec's columns, with their dtypes."""
    return pa.DataFrameSchema(
        {
            c.name: pa.Column(c.dtype, _rule(spec, c), nullable=False, required=True)
            for c in spec.columns
        },
        strict=True,
        ordered=True,
        name=f"{spec.name}-v{spec.schema_version}",
    )
