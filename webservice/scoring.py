"""Score many homes in-process: validate a whole array against the spec, then predict.

For files too large for ``/predict/batch``: load the champion once with :func:`load_champion`,
then call :func:`score_rows` (a float64 array, columns in the spec's feature order) or
:func:`score_frame` (a DataFrame with the spec's columns) per chunk. Validation is vectorised
and the prediction runs through the model's own batch code, so a million rows cost about what
the bare model costs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from paris_housing.datasets import DatasetSpec
from paris_housing.settings import Settings
from webservice.errors import problem
from webservice.predictors import Predictor
from webservice.rows import InvalidRows, RowChecker
from webservice.served import ServedModel


class ModelOutputError(RuntimeError):
    """The model answered NaN or infinity for valid rows."""


def load_champion(settings: Settings, spec: DatasetSpec) -> ServedModel:
    """The version the alias names now, loaded and compiled (the service's own loader)."""
    from webservice.model_source import RegistrySource

    source = RegistrySource(settings, spec)
    version = source.resolve()
    if version is None:
        raise LookupError(
            f"no version of {source.name!r} has the alias {source.alias!r} in "
            f"{source.registry_uri}: train and promote one (paris-housing train)"
        )
    return source.load(version)


def score_rows(predictor: Predictor, checker: RowChecker, rows: Any) -> np.ndarray:
    """Prices of ``rows`` (n x features, the spec's order); :class:`InvalidRows` if any breaks
    the spec, with the first bad values."""
    rows = np.ascontiguousarray(rows, dtype=np.float64)
    width = len(checker.names)
    if rows.ndim != 2 or rows.shape[1] != width:
        raise InvalidRows(
            [
                problem(
                    ["rows"],
                    None,
                    list(rows.shape),
                    f"rows of shape {rows.shape} cannot be scored",
                    f"a 2-D array with {width} columns: {', '.join(checker.names)}",
                    "wrong_shape",
                )
            ]
        )
    checker.check(rows)
    prices = predictor.predict(rows)
    if not np.all(np.isfinite(prices)):
        raise ModelOutputError(
            f"the model answered {np.sum(~np.isfinite(prices))} non-finite prices"
        )
    return prices


def score_frame(predictor: Predictor, checker: RowChecker, frame: Any) -> np.ndarray:
    """Prices of a DataFrame holding the spec's feature columns (others are ignored)."""
    missing = [name for name in checker.names if name not in frame.columns]
    if missing:
        raise InvalidRows(
            [
                problem(
                    ["columns"],
                    n,
                    None,
                    f"{n} is missing",
                    checker.spec.column(n).allowed(),
                    "missing",
                )
                for n in missing
            ]
        )
    return score_rows(predictor, checker, frame[checker.names].to_numpy(dtype=np.float64))
