"""Behavioural checks: raising some features, all else equal, must not lower the estimate."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from paris_housing.datasets import DatasetSpec, Kind

Predict = Callable[[pd.DataFrame], np.ndarray]


def raised(frame: pd.DataFrame, spec: DatasetSpec, feature: str) -> list[tuple[str, pd.DataFrame]]:
    """Copies of ``frame`` with ``feature`` raised, each with a name: 0 -> 1 for a yes/no
    feature; +1 unit and +10 % of the allowed range (capped at the maximum) otherwise."""
    column = spec.column(feature)
    if column.kind is Kind.BINARY:
        return [(f"{feature} 0 -> 1", frame.assign(**{feature: 1}))]
    out = []
    for label, step in (
        ("+1", 1),
        ("+10% of its range", max(1, round((column.maximum - column.minimum) / 10))),
    ):
        more = np.minimum(frame[feature] + step, column.maximum).astype(frame[feature].dtype)
        out.append((f"{feature} {label}", frame.assign(**{feature: more})))
    return out


def never_lower_violations(
    predict: Predict, frame: pd.DataFrame, spec: DatasetSpec, features: Sequence[str]
) -> list[str]:
    """One sentence per change of ``features`` that lowered some estimate of ``frame``'s rows.

    For a yes/no feature the base is the row with the feature at 0, so every row is checked.
    """
    unknown = [f for f in features if f not in spec.feature_names]
    if unknown:
        raise ValueError(
            f"behavioural check on unknown feature(s) {', '.join(unknown)} of dataset "
            f"{spec.name!r}; its features are {', '.join(spec.feature_names)}"
        )
    frame = frame[spec.feature_names]
    problems = []
    for feature in features:
        binary = spec.column(feature).kind is Kind.BINARY
        base_frame = frame.assign(**{feature: 0}) if binary else frame
        base = np.asarray(predict(base_frame), dtype=float)
        for label, more_frame in raised(base_frame, spec, feature):
            drop = base - np.asarray(predict(more_frame), dtype=float)
            lowered = drop > 1e-9 * np.abs(base) + 1e-6
            if lowered.any():
                problems.append(
                    f"{label} lowered the estimate of {int(lowered.sum()):,} of {len(frame):,} "
                    f"rows (by up to {drop.max():,.0f})"
                )
    return problems
