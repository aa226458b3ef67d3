"""The estimate form, generated from the dataset spec: one field per feature, nothing by hand.

A whole-number or number feature becomes a number input with the spec's bounds; a 0/1 feature
becomes a checkbox. Each field checks its value with :func:`~flask_deployment.values.parse_value`
on the server, whatever the browser did, and keeps the message for the page.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.validators import StopValidation
from wtforms.widgets import CheckboxInput, NumberInput

from flask_deployment.values import ValueProblem, hint, parse_value
from paris_housing.datasets import Column, DatasetSpec, Kind


class SpecField(Field):
    """A field that holds one feature's raw text until validation turns it into a number."""

    def __init__(self, column: Column, **kwargs: Any) -> None:
        super().__init__(
            label=column.label, description=column.description, default=column.default, **kwargs
        )
        self.column = column
        self.hint = hint(column)
        self.raw = ""
        self.data: Any = None  # set by process() when the form is bound

    def process_formdata(self, valuelist: list[str]) -> None:
        self.raw = valuelist[0] if valuelist else ""
        self.data = self.raw

    def pre_validate(self, form: Any) -> None:
        try:
            self.data = parse_value(self.column, self.raw)
        except ValueProblem as problem:
            raise StopValidation(str(problem)) from None


class NumberSpecField(SpecField):
    """A number input with the spec's bounds (phones show a numeric keypad)."""

    widget = NumberInput()

    def __init__(self, column: Column, **kwargs: Any) -> None:
        whole = column.kind is Kind.INTEGER
        render_kw = {
            "min": _plain(column.minimum),
            "max": _plain(column.maximum),
            "step": "1" if whole else "any",
            "inputmode": "numeric" if whole else "decimal",
        }
        super().__init__(column, render_kw=render_kw, **kwargs)

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)


class YesNoField(SpecField):
    """A checkbox: ticked sends "1" (yes), unticked sends nothing (no)."""

    widget = CheckboxInput()

    def _value(self) -> str:
        return "1"

    @property
    def checked(self) -> bool:
        """Ticked when the value is yes (and after an invalid post, unticked)."""
        return self.data in (1, "1")


class HomeForm(FlaskForm):
    """The base of generated forms: typed values and the two groups of fields."""

    spec: DatasetSpec

    def values(self) -> dict[str, int | float]:
        """The validated values by feature name (call after ``validate``)."""
        return {name: self[name].data for name in self.spec.feature_names}

    def feature_fields(self, details: bool) -> list[SpecField]:
        """The fields shown up front (``details=False``) or folded under "more details"."""
        return [
            self[c.name] for c in self.spec.features if c.details is details  # type: ignore[misc]
        ]

    def invalid_fields(self) -> list[SpecField]:
        """The feature fields with an error, in the order of the page."""
        return [self[name] for name in self.spec.feature_names if self[name].errors]


def build_form_class(spec: DatasetSpec) -> type[HomeForm]:
    """A form class with one field per feature of ``spec``."""
    clashes = [name for name in spec.feature_names if hasattr(HomeForm, name)]
    if clashes:
        raise ValueError(f"feature name(s) {clashes} clash with the form's own attributes")
    fields: dict[str, Any] = {
        c.name: (YesNoField(c) if c.kind is Kind.BINARY else NumberSpecField(c))
        for c in spec.features
    }
    return type(f"{spec.name.title()}HomeForm", (HomeForm,), {"spec": spec, **fields})


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)
