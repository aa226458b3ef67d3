"""A small client of the service: price a home of the shipped dataset and compare with its price.

It reads the dataset with the csv module, talks HTTP with httpx and reads the answers with the
contract (:mod:`paris_housing.contract`): no pandas, no model.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import ValidationError

from paris_housing.contract import ErrorBody, Prediction
from paris_housing.datasets import DatasetSpec
from paris_housing.settings import Settings


class ClientError(RuntimeError):
    """The service could not be reached or refused the request (its message included)."""


@dataclass(frozen=True)
class Example:
    """One home of the shipped dataset and the price it sold for."""

    row: int
    home: dict[str, int | float]
    price: float


def example(spec: DatasetSpec, settings: Settings, row: int = 0) -> Example:
    """Row ``row`` (0 = the first home) of the shipped CSV, typed as the spec says."""
    path = settings.shipped_data_dir / spec.source.file_name
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            for index, record in enumerate(csv.DictReader(handle)):
                if index == row:
                    home = {
                        c.name: c.python_type(float(record[c.name].strip())) for c in spec.features
                    }
                    return Example(row, home, float(record[spec.target.name]))
    except FileNotFoundError as exc:
        raise ClientError(f"the shipped dataset {path} is missing") from exc
    raise ClientError(f"the shipped dataset {path} has no row {row}")


def predict(url: str, home: dict[str, Any], timeout: float) -> dict[str, Any]:
    """POST ``home`` to ``url``/predict and return the answer (a ``Prediction``, as a dict)."""
    endpoint = f"{url.rstrip('/')}/predict"
    try:
        response = httpx.post(endpoint, json=home, timeout=timeout)
    except httpx.HTTPError as exc:
        raise ClientError(
            f"cannot reach the service at {endpoint}: {exc}; is it running "
            "(paris-housing serve) and is PARIS_HOUSING_API_URL right?"
        ) from exc
    if response.status_code == 200:
        try:
            return Prediction.model_validate_json(response.content).model_dump()
        except ValidationError as exc:
            raise ClientError(
                f"the service at {endpoint} answered something that is not a prediction: {exc}"
            ) from None
    try:
        message = ErrorBody.model_validate_json(response.content).message
    except ValidationError:
        message = response.text[:200]
    raise ClientError(f"the service answered {response.status_code}: {message}")
