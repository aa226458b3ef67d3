"""Pandera schemas derived from a dataset spec (never written by hand)."""

from __future__ import annotations

import pandera.pandas as pa

from paris_housing.datasets import Column, DatasetSpec, Kind

MISSING = "is missing"


def _checks(col: Column) -> list[pa.Check]:
    allowed = f"must be {col.allowed()}"
    checks = [pa.Check.in_range(col.minimum, col.maximum, error=allowed)]
    if col.kind is not Kind.NUMBER:
        checks.append(
            pa.Check(lambda s: s.isna() | (s % 1 == 0), element_wise=False, error=allowed)
        )
    return checks


def parsed_schema(spec: DatasetSpec) -> pa.DataFrameSchema:
    """Checks every column of a frame whose values were parsed to float (NaN where missing)."""
    return pa.DataFrameSchema(
        {c.name: pa.Column(float, _checks(c), nullable=False, required=True) for c in spec.columns},
        strict=False,
        name=f"{spec.name}-v{spec.schema_version}-parsed",
    )


def typed_schema(spec: DatasetSpec) -> pa.DataFrameSchema:
    """The contract of a validated frame: exactly the spec's columns, with their dtypes."""
    return pa.DataFrameSchema(
        {
            c.name: pa.Column(c.dtype, _checks(c), nullable=False, required=True)
            for c in spec.columns
        },
        strict=True,
        ordered=True,
        name=f"{spec.name}-v{spec.schema_version}",
    )
