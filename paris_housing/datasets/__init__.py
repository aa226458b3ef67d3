"""Dataset specs: the single source of truth for each dataset's columns, by name."""

from paris_housing.datasets.kaggle import KAGGLE
from paris_housing.datasets.spec import Column, DatasetSpec, Kind, Source

SPECS: dict[str, DatasetSpec] = {spec.name: spec for spec in (KAGGLE,)}


def get_spec(name: str) -> DatasetSpec:
    """The spec of the dataset called ``name``, or a clear error naming the known ones."""
    try:
        return SPECS[name]
    except KeyError:
        known = ", ".join(sorted(SPECS))
        raise KeyError(f"unknown dataset {name!r}; known datasets: {known}") from None


__all__ = ["SPECS", "Column", "DatasetSpec", "Kind", "Source", "get_spec", "KAGGLE"]
