"""The dataset spec is consistent, and every derived schema follows it."""

import pandas as pd
import pandera.pandas as pa
import pytest

from paris_housing.datasets import SPECS, Column, Kind, get_spec
from paris_housing.schema import typed_schema


def test_kaggle_spec_names_the_seed_columns_in_order(spec):
    assert spec.column_names == [
        "squareMeters",
        "numberOfRooms",
        "hasYard",
        "hasPool",
        "floors",
        "cityCode",
        "cityPartRange",
        "numPrevOwners",
        "made",
        "isNewBuilt",
        "hasStormProtector",
        "basement",
        "attic",
        "garage",
        "hasStorageRoom",
        "hasGuestRoom",
        "price",
    ]
    assert spec.target.name == "price" and spec.target.unit == "EUR"
    assert spec.time_column == "made"
    assert spec.registered_model_name == "paris-housing-kaggle"


def test_every_column_has_a_label_a_description_and_a_default_within_range(spec):
    for col in spec.features:
        assert col.label and col.description, col.name
        assert col.default is not None and col.minimum <= col.default <= col.maximum, col.name


def test_binary_columns_are_the_has_and_is_columns(spec):
    binary = {c.name for c in spec.features if c.kind is Kind.BINARY}
    assert binary == {"hasYard", "hasPool", "isNewBuilt", "hasStormProtector", "hasStorageRoom"}


def test_allowed_reads_as_a_sentence():
    col = Column("area", Kind.INTEGER, "Area", "d", 1, 100_000, "m²")
    assert col.allowed() == "a whole number from 1 to 100,000 m²"
    assert Column("yard", Kind.BINARY, "Yard", "d").allowed() == "0 (no) or 1 (yes)"
    assert Column("p", Kind.NUMBER, "P", "d", 0.5, 2).allowed() == "a number from 0.5 to 2"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"kind": Kind.BINARY, "minimum": 0, "maximum": 2}, "range 0..1"),
        ({"kind": Kind.INTEGER, "minimum": 5, "maximum": 1}, "minimum 5 > maximum 1"),
        ({"kind": Kind.INTEGER, "minimum": 0, "maximum": 9, "default": 10}, "outside its range"),
    ],
)
def test_inconsistent_columns_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Column("x", label="X", description="d", **kwargs)


def test_unknown_dataset_names_the_known_ones():
    assert get_spec("kaggle") is SPECS["kaggle"]
    with pytest.raises(KeyError, match="known datasets: kaggle"):
        get_spec("nope")


def test_typed_schema_accepts_typed_rows_and_rejects_out_of_range(spec):
    row = {
        c.name: c.python_type(c.default if c.default is not None else 500_000) for c in spec.columns
    }
    frame = pd.DataFrame([row]).astype(spec.dtypes())
    typed_schema(spec).validate(frame)
    frame.loc[0, "cityPartRange"] = 11
    with pytest.raises(pa.errors.SchemaError, match="from 1 to 10"):
        typed_schema(spec).validate(frame)


def test_typed_schema_says_what_the_rules_say(spec):
    row = {c.name: c.python_type(c.default or c.minimum) for c in spec.columns}
    frame = pd.DataFrame([row, {**row, "hasPool": 2}]).astype(spec.dtypes())
    with pytest.raises(pa.errors.SchemaErrors) as caught:
        typed_schema(spec).validate(frame, lazy=True)
    [case] = caught.value.failure_cases.dropna(subset=["index"]).itertuples()
    assert (case.column, case.index, case.check) == ("hasPool", 1, "must be 0 (no) or 1 (yes)")
