"""Data tests on the shipped Kaggle file: checksum, schema, ranges, size, duplicates."""

import hashlib

import pandas as pd
import pytest

from paris_housing.schema import typed_schema
from tests.conftest import SHIPPED_CSV


@pytest.fixture(scope="module")
def frame(spec) -> pd.DataFrame:
    return pd.read_csv(SHIPPED_CSV).astype(spec.dtypes())


def test_bytes_match_the_recorded_sha256(spec):
    assert hashlib.sha256(SHIPPED_CSV.read_bytes()).hexdigest() == spec.source.sha256


def test_notice_ships_with_the_data():
    notice = (SHIPPED_CSV.parent.parent / "README.md").read_text()
    assert "mssmartypants/paris-housing-price-prediction" in notice


def test_columns_types_and_ranges_follow_the_spec(spec, frame):
    typed_schema(spec).validate(frame, lazy=True)


def test_ten_thousand_rows_without_missing_values_or_duplicates(frame):
    assert len(frame) == 10_000
    assert not frame.isna().any().any()
    assert not frame.duplicated().any()


def test_observed_ranges_are_those_documented(frame):
    assert (frame["squareMeters"].min(), frame["squareMeters"].max()) == (89, 99_999)
    assert (frame["made"].min(), frame["made"].max()) == (1990, 2021)
    assert frame["price"].between(10_313.5, 10_006_771.2).all()


def test_price_is_nearly_linear_in_area(frame):
    """What the model selection relies on: the area explains almost all of the price."""
    assert frame["squareMeters"].corr(frame["price"]) > 0.999
