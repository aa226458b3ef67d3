"""A dataset version's periods, split in time: earlier periods train, the last holds out.

Cross-validation stays inside the training periods with an expanding window: fold k trains on
periods 1..k and validates on period k+1, so a model is never scored on rows older than the ones
it learnt from (the periods are ordered by the spec's time column).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from paris_housing.catalog import read_periods
from paris_housing.datasets import DatasetSpec, get_spec
from paris_housing.settings import Settings, get_settings
from paris_housing.storage import open_bucket

MIN_PERIODS = 3  # two to cross-validate on (one fold), one to hold out


class DataError(ValueError):
    """The stored data cannot be used for selection."""


@dataclass(frozen=True)
class Fold:
    """One cross-validation fold: 0-based indices of the periods it trains and validates on."""

    train_periods: tuple[int, ...]
    validation_period: int

    @property
    def label(self) -> str:
        """The periods as people count them, e.g. 'periods 1-2 -> 3'."""
        first, last = self.train_periods[0] + 1, self.train_periods[-1] + 1
        span = f"period {first}" if first == last else f"periods {first}-{last}"
        return f"{span} -> {self.validation_period + 1}"


@dataclass(frozen=True)
class TrainingData:
    """Every period of one dataset version, in time order (picklable: frames and strings)."""

    dataset: str
    version: str
    source: str
    periods: tuple[pd.DataFrame, ...]
    period_years: tuple[tuple[int, int], ...]  # first and last value of the time column

    def __post_init__(self) -> None:
        if len(self.periods) < MIN_PERIODS:
            raise DataError(
                f"dataset {self.dataset!r} version {self.version} has {len(self.periods)} "
                f"period(s); model selection needs at least {MIN_PERIODS} (earlier ones to "
                "cross-validate on, the last one to hold out)"
            )

    @property
    def period_spans(self) -> tuple[str, ...]:
        """Each period's years, e.g. '1990–1997'."""
        return tuple(f"{first}–{last}" for first, last in self.period_years)

    @property
    def train_span(self) -> str:
        """The years of the training periods, e.g. '1990–2013'."""
        return f"{self.period_years[0][0]}–{self.period_years[-2][1]}"

    @property
    def spec(self) -> DatasetSpec:
        """The dataset's spec."""
        return get_spec(self.dataset)

    @property
    def train(self) -> pd.DataFrame:
        """Every period but the last."""
        return self.rows(range(len(self.periods) - 1))

    @property
    def holdout(self) -> pd.DataFrame:
        """The last period: the later data the selected model is judged on."""
        return self.periods[-1]

    @property
    def folds(self) -> list[Fold]:
        """The expanding-window folds over the training periods."""
        return expanding_folds(len(self.periods) - 1)

    def rows(self, periods: range | tuple[int, ...]) -> pd.DataFrame:
        """The rows of the given periods (0-based), in time order."""
        return pd.concat([self.periods[i] for i in periods], ignore_index=True)

    def features(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The spec's features of ``frame``, in the spec's order."""
        return frame[self.spec.feature_names]

    def target(self, frame: pd.DataFrame) -> pd.Series:
        """The spec's target of ``frame``."""
        return frame[self.spec.target.name]


def expanding_folds(n_train_periods: int) -> list[Fold]:
    """Fold k trains on periods 0..k-1 and validates on period k, for k = 1..n-1."""
    return [Fold(tuple(range(k)), k) for k in range(1, n_train_periods)]


def load_training_data(
    dataset: str | None = None, settings: Settings | None = None
) -> TrainingData:
    """Read the latest version of ``dataset`` (default: the configured one) from the bucket."""
    settings = settings or get_settings()
    spec = get_spec(dataset or settings.dataset)
    bucket = open_bucket(settings=settings)
    manifest, frames = read_periods(bucket, spec)
    return TrainingData(
        dataset=spec.name,
        version=manifest.version,
        source=f"{bucket.uri}/{spec.prefix()}/{manifest.version}",
        periods=tuple(frames),
        period_years=tuple((p.time_min, p.time_max) for p in manifest.periods),
    )
