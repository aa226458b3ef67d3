"""What a dataset spec is: the one source of truth for a dataset's columns.

Ingestion validation, the API's request model, the web form's fields and monitoring's column
mapping are all derived from a :class:`DatasetSpec`; adding a dataset means adding a spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import PurePosixPath


class Kind(str, Enum):
    """How a column's values are read and checked."""

    BINARY = "binary"  # 0 or 1
    INTEGER = "integer"  # a whole number in [minimum, maximum]
    NUMBER = "number"  # a real number in [minimum, maximum]


@dataclass(frozen=True)
class Column:
    """One column: its name in the data, its kind, its allowed range and how people call it."""

    name: str
    kind: Kind
    label: str
    description: str
    minimum: float = 0
    maximum: float = 1
    unit: str = ""
    default: float | None = None
    details: bool = False  # rarely known by a buyer: folded away in forms
    grouped: bool = True  # thousands separators when shown (False for years: 2005, not 2,005)

    def __post_init__(self) -> None:
        if self.kind is Kind.BINARY and (self.minimum, self.maximum) != (0, 1):
            raise ValueError(f"binary column {self.name!r} must have the range 0..1")
        if self.minimum > self.maximum:
            raise ValueError(
                f"column {self.name!r}: minimum {self.minimum} > maximum {self.maximum}"
            )
        if self.default is not None and not self.minimum <= self.default <= self.maximum:
            raise ValueError(f"column {self.name!r}: default {self.default} is outside its range")

    @property
    def example(self) -> float:
        """A value to show or try when nothing is known: the default, else the minimum."""
        return self.default if self.default is not None else self.minimum

    @property
    def dtype(self) -> str:
        """The pandas dtype of the column once validated."""
        return "float64" if self.kind is Kind.NUMBER else "int64"

    @property
    def python_type(self) -> type:
        """The Python type of one value once validated."""
        return float if self.kind is Kind.NUMBER else int

    def format(self, value: float) -> str:
        """A value of this column as people read it, without its unit."""
        return format_number(value, self.grouped)

    def allowed(self) -> str:
        """What values are allowed, in words, e.g. 'a whole number from 1 to 100 m²'."""
        if self.kind is Kind.BINARY:
            return "0 (no) or 1 (yes)"
        unit = f" {self.unit}" if self.unit else ""
        what = "a whole number" if self.kind is Kind.INTEGER else "a number"
        return f"{what} from {self.format(self.minimum)} to {self.format(self.maximum)}{unit}"


@dataclass(frozen=True)
class Source:
    """Where a dataset comes from: its Kaggle slug and the copy shipped with the project."""

    kaggle_slug: str
    file_name: str
    sha256: str
    licence: str


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset: its features, its target, the column that orders it in time, its source."""

    name: str
    title: str
    schema_version: int
    features: tuple[Column, ...]
    target: Column
    time_column: str
    source: Source
    n_periods: int = 4

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"dataset {self.name!r} names a column twice")
        if self.time_column not in self.feature_names:
            raise ValueError(f"time column {self.time_column!r} is not a feature")

    @property
    def columns(self) -> tuple[Column, ...]:
        """Features then the target, in the order of the data."""
        return (*self.features, self.target)

    @property
    def feature_names(self) -> list[str]:
        """The features' names, in order."""
        return [c.name for c in self.features]

    @property
    def column_names(self) -> list[str]:
        """Every column's name, features then target."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"dataset {self.name!r} has no column {name!r}")

    @property
    def registered_model_name(self) -> str:
        """The name of this dataset's model in the registry."""
        return f"paris-housing-{self.name}"

    def prefix(self) -> PurePosixPath:
        """The bucket prefix under which this dataset's versions live."""
        return PurePosixPath("datasets") / self.name

    def example_row(self) -> list[float]:
        """One valid home: every feature's example value, in the spec's order."""
        return [c.example for c in self.features]

    def dtypes(self) -> dict[str, str]:
        """Column name -> pandas dtype once validated."""
        return {c.name: c.dtype for c in self.columns}


def format_number(number: float, grouped: bool = True) -> str:
    """A number as people read it: '100,000' grouped, '2005' not (years)."""
    text = f"{int(number):,}" if float(number).is_integer() else f"{number:,}"
    return text if grouped else text.replace(",", "")
