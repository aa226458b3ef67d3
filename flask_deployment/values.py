"""What a person typed, turned into a value the spec allows, or a message naming what is wrong.

Pure functions: no Flask here, so the rules are tested on their own and the form only renders
their messages. A value is read and checked by the spec's rules
(:func:`paris_housing.datasets.rules.read_text`, ASCII digits only) and a refusal is worded by
their message builder, as the API and ingestion word it. Every value that reaches the prediction
service or MongoDB went through :func:`parse_value`, so a stored input is always an ``int`` or a
``float`` in the spec's range, never a string or a dict that a database could read as an
operator.
"""

from __future__ import annotations

from paris_housing.datasets import Column, Kind
from paris_housing.datasets.rules import InvalidValue, for_person, read_text, typed

YES = frozenset({"y", "yes", "on", "true"})
NO = frozenset({"", "n", "no", "off", "false"})


class ValueProblem(ValueError):
    """A value the spec does not allow; the message says what is allowed."""


def parse_value(column: Column, raw: str | None) -> int | float:
    """The value of ``raw`` for ``column``, or :class:`ValueProblem` saying what to enter.

    A checkbox sends its value when ticked and nothing otherwise: for a 0/1 column, nothing is
    0, and the words browsers and people use for yes and no count as 1 and 0.
    """
    if column.kind is Kind.BINARY:
        word = (raw or "").strip().lower()
        if word in YES:
            return 1
        if word in NO:
            return 0
    try:
        return typed(column, read_text(column, raw))
    except InvalidValue as invalid:
        raise ValueProblem(for_person(invalid.violation)) from None


def hint(column: Column) -> str:
    """The short rule shown under a field, e.g. 'Whole number from 1 to 100,000 m².'"""
    if column.kind is Kind.BINARY:
        return "Tick for yes."
    allowed = column.allowed()
    return allowed[0].upper() + allowed[1:] + "."


def format_price(amount: float, currency: str = "EUR") -> str:
    """An amount for people, in whole units: '€1,234,567', or '1,234,567 CHF'."""
    whole = f"{round(amount):,}"
    return f"€{whole}" if currency == "EUR" else f"{whole} {currency}"


def format_input(column: Column, value: int | float) -> str:
    """A stored input as people read it: 'yes', '120 m²', '2005'."""
    if column.kind is Kind.BINARY:
        return "yes" if value else "no"
    return f"{column.format(value)} {column.unit}".strip()
