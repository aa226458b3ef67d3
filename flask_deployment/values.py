"""What a person typed, turned into a value the spec allows, or a message naming what is wrong.

Pure functions: no Flask here, so the rules are tested on their own and the form only renders
their messages. Every value that reaches the prediction service or MongoDB went through
:func:`parse_value`, so a stored input is always an ``int`` or a ``float`` in the spec's range,
never a string or a dict that a database could read as an operator.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from paris_housing.datasets import Column, Kind

MAX_INPUT_CHARS = 32
YES = frozenset({"1", "y", "yes", "on", "true"})
NO = frozenset({"", "0", "n", "no", "off", "false"})


class ValueProblem(ValueError):
    """A value the spec does not allow; the message says what is allowed."""


def parse_value(column: Column, raw: str | None) -> int | float:
    """The value of ``raw`` for ``column``, or :class:`ValueProblem` saying what to enter."""
    if column.kind is Kind.BINARY:
        return _parse_yes_no(column, raw)
    text = (raw or "").strip()
    enter = f"enter {column.allowed()}"
    if not text:
        raise ValueProblem(f"This field is required: {enter}.")
    if len(text) > MAX_INPUT_CHARS:
        raise ValueProblem(f"{text[:MAX_INPUT_CHARS]!r}… is too long: {enter}.")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueProblem(f"{text!r} is not a number: {enter}.") from None
    if not number.is_finite():
        raise ValueProblem(f"{text!r} is not a number: {enter}.")
    if column.kind is Kind.INTEGER and number != number.to_integral_value():
        raise ValueProblem(f"{text} is not a whole number: {enter}.")
    if not Decimal(str(column.minimum)) <= number <= Decimal(str(column.maximum)):
        side = "below the minimum" if number < Decimal(str(column.minimum)) else "above the maximum"
        raise ValueProblem(f"{text} is {side}: {enter}.")
    return int(number) if column.kind is Kind.INTEGER else float(number)


def _parse_yes_no(column: Column, raw: str | None) -> int:
    """A checkbox sends its value when ticked and nothing otherwise; anything else is tampering."""
    text = (raw or "").strip().lower()
    if text in YES:
        return 1
    if text in NO:
        return 0
    raise ValueProblem(f"{text[:MAX_INPUT_CHARS]!r} is not yes or no: {column.allowed()}.")


def hint(column: Column) -> str:
    """The short rule shown under a field, e.g. 'Whole number from 1 to 100,000 m².'"""
    if column.kind is Kind.BINARY:
        return "Tick for yes."
    allowed = column.allowed()
    return allowed[0].upper() + allowed[1:] + "."


def format_euros(amount: float) -> str:
    """An amount in euros for people: '€1,234,567' (whole euros)."""
    return f"€{round(amount):,}"


def format_input(column: Column, value: int | float) -> str:
    """A stored input as people read it: 'yes', '120 m²', '2005'."""
    if column.kind is Kind.BINARY:
        return "yes" if value else "no"
    return f"{column.format(value)} {column.unit}".strip()
