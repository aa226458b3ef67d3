"""The time-respecting split: earlier periods train, the last holds out, CV expands in time."""

import pandas as pd
import pytest

from model_selection.data import DataError, Fold, TrainingData, expanding_folds, load_training_data
from paris_housing.storage import ObjectNotFound


def test_expanding_folds_never_validate_on_the_past():
    folds = expanding_folds(3)
    assert folds == [Fold((0,), 1), Fold((0, 1), 2)]
    assert [f.label for f in folds] == ["period 1 -> 2", "periods 1-2 -> 3"]
    for fold in expanding_folds(6):
        assert max(fold.train_periods) < fold.validation_period


def test_holdout_is_the_last_period_and_later_than_every_training_row(data, spec):
    assert len(data.periods) == 4
    assert len(data.train) + len(data.holdout) == 10_000
    assert len(data.holdout) == 2_507
    assert data.train[spec.time_column].max() < data.holdout[spec.time_column].min()
    assert data.holdout[spec.time_column].min() == 2014
    assert data.period_spans == ("1990–1997", "1998–2005", "2006–2013", "2014–2021")
    assert data.train_span == "1990–2013"
    assert data.version and data.source.endswith(f"datasets/kaggle/{data.version}")


def test_features_and_target_follow_the_spec(data, spec):
    assert list(data.features(data.holdout).columns) == spec.feature_names
    assert data.target(data.holdout).name == "price"


def test_too_few_periods_is_a_clear_error(data):
    with pytest.raises(DataError, match="has 2 period\\(s\\); model selection needs at least 3"):
        TrainingData("kaggle", "v1", "src", data.periods[:2], data.period_years[:2])


def test_missing_dataset_says_to_ingest_first(isolated_settings):
    with pytest.raises(ObjectNotFound, match="run `paris-housing ingest` first"):
        load_training_data(settings=isolated_settings)


def test_rows_concatenates_periods_in_time_order(data):
    rows = data.rows((1, 2))
    assert len(rows) == len(data.periods[1]) + len(data.periods[2])
    pd.testing.assert_frame_equal(rows.head(3), data.periods[1].head(3))
