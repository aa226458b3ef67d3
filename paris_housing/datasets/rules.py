"""The spec's rules, checked in one place, and the one builder of their messages.

A value is allowed for a column when it is a finite number within the column's range and, for
whole-number and 0/1 columns, has no fraction (``3.0`` is whole, ``0.9999999999`` is not). Text
(a form field, a CSV cell, an ingested file) is read by one grammar: an optional sign, ASCII
digits with an optional decimal point, an optional exponent; ``１２３``, ``٣``, ``75_523``,
``inf`` and ``nan`` are not numbers. The value of a text is the float64 nearest to it, the value
a JSON number has too (so a number too large for a float, ``1e400``, is above the maximum).

Every surface reports a broken rule as a :class:`Violation` and words it with :func:`message`:
ingestion's quarantine reasons, the API's refusals, the web form's field errors and batch
scoring all say the same sentence for the same value. The array form of the check (for many
rows at once) is :class:`paris_housing.datasets.arrays.RowChecker`; this module imports nothing
beyond the standard library, so the web form can use it without numpy.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from paris_housing.datasets.spec import Column, DatasetSpec, Kind

MAX_SHOWN_CHARS = 120  # a value sent back in JSON
MAX_TEXT_SHOWN = 32  # a text in a sentence
SUMMARY_PROBLEMS = 3
_NUMBER = Kind.NUMBER
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class Fault(Enum):
    """What is wrong with one value."""

    MISSING = "missing"
    NOT_A_NUMBER = "not_a_number"
    NOT_FINITE = "not_finite"
    NOT_WHOLE = "not_whole"
    BELOW_MINIMUM = "below_minimum"
    ABOVE_MAXIMUM = "above_maximum"
    UNKNOWN_FIELD = "unknown_field"

    @property
    def type(self) -> str:
        """The kind of problem as the API reports it (``Problem.type``)."""
        return _TYPES[self]


_TYPES = {
    Fault.MISSING: "missing",
    Fault.NOT_A_NUMBER: "wrong_type",
    Fault.NOT_FINITE: "wrong_type",
    Fault.NOT_WHOLE: "wrong_type",
    Fault.BELOW_MINIMUM: "out_of_range",
    Fault.ABOVE_MAXIMUM: "out_of_range",
    Fault.UNKNOWN_FIELD: "extra_forbidden",
}


@dataclass(frozen=True)
class Violation:
    """One value that breaks the spec: which field (and row), what was sent, what is allowed.

    ``shown`` is the value as the message writes it: a number as it was written, any other text
    quoted, shortened when long.
    """

    fault: Fault
    field: str
    value: Any
    shown: str
    allowed: str | None
    row: int | None = None

    @property
    def type(self) -> str:
        """The kind of problem as the API reports it."""
        return self.fault.type

    def at(self, row: int) -> Violation:
        """The same violation, in row ``row`` of a batch."""
        return Violation(self.fault, self.field, self.value, self.shown, self.allowed, row)


class InvalidValue(ValueError):
    """A text that cannot be read as a value of its column."""

    def __init__(self, violation: Violation) -> None:
        super().__init__(message(violation))
        self.violation = violation


# --- the message builder ----------------------------------------------------------------------


def where(field: str | None, row: int | None = None) -> str:
    """'squareMeters', 'row 3, squareMeters', 'row 3' or 'the body'."""
    parts = ([] if row is None else [f"row {row}"]) + ([] if field is None else [field])
    return ", ".join(parts) or "the body"


def reason(violation: Violation) -> str:
    """What is wrong, without where: '-1 must be a whole number from 1 to 100,000 m²'."""
    fault, shown, allowed = violation.fault, violation.shown, violation.allowed
    if fault is Fault.MISSING:
        return "is missing"
    if fault is Fault.UNKNOWN_FIELD:
        return "is not a field of a home"
    if fault is Fault.NOT_A_NUMBER:
        return f"{shown} is not a number (must be {allowed})"
    return f"{shown} must be {allowed}"


def requirement(column: Column) -> str:
    """What a value of ``column`` must be, as :func:`reason` words it: 'must be 0 (no) or 1
    (yes)' (for schemas and checks that report a column, not a value)."""
    return f"must be {column.allowed()}"


def check_kind(violation: Violation) -> str:
    """The reason without the value, to count alike failures: 'must be a whole number ...'."""
    text = reason(violation)
    if violation.fault in (Fault.MISSING, Fault.UNKNOWN_FIELD):
        return text
    return text.removeprefix(f"{violation.shown} ")


def message(violation: Violation) -> str:
    """The sentence every surface uses: 'row 3, squareMeters: -1 must be a whole number from 1
    to 100,000 m²', 'made: is missing', "floors: 'x' is not a number (must be ...)"."""
    return f"{where(violation.field, violation.row)}: {reason(violation)}"


def for_person(violation: Violation) -> str:
    """The same, for a form field (the field's label says where): '0 must be a whole number from
    1 to 100,000 m².' or 'This field is required (must be ...).'"""
    if violation.fault is Fault.MISSING:
        return f"This field is required (must be {violation.allowed})."
    return f"{reason(violation)}."


def summary(messages: Sequence[str], prefix: str = "") -> str:
    """The first messages in one line, and how many more there are."""
    parts = list(messages[:SUMMARY_PROBLEMS])
    more = len(messages) - SUMMARY_PROBLEMS
    if more > 0:
        parts.append(f"and {more} more problem{'s' if more > 1 else ''}")
    return prefix + "; ".join(parts)


def fields_allowed(spec: DatasetSpec) -> str:
    """The sentence that lists the fields a row has."""
    return "the fields " + ", ".join(spec.feature_names)


def short(text: str) -> str:
    """``text`` cut to :data:`MAX_SHOWN_CHARS` characters."""
    return text if len(text) <= MAX_SHOWN_CHARS else text[: MAX_SHOWN_CHARS - 1] + "…"


def json_value(value: Any) -> Any:
    """``value`` as it can be sent back in JSON: finite numbers as is, anything else shortened."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else short(str(value))
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, bytes):
        return short(value.decode("utf-8", errors="replace"))
    if isinstance(value, str):
        return short(value)
    return short(repr(value))


def show(value: Any) -> str:
    """A value sent as JSON (or held in an array) as a message writes it: strings quoted,
    numbers as numbers (``1800.0`` as ``1800``), ``True``, ``None``."""
    if isinstance(value, (str, bytes)):
        return repr(json_value(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(json_value(value))


# --- the rule ----------------------------------------------------------------------------------


def fault_of(column: Column, value: float) -> Fault | None:
    """What is wrong with the number ``value`` for ``column``, or None if it is allowed.

    NaN is a missing value (that is how frames and arrays hold one).
    """
    if column.minimum <= value <= column.maximum:
        if column.kind is _NUMBER or value.is_integer():
            return None
        return Fault.NOT_WHOLE
    if value < column.minimum:
        return Fault.NOT_FINITE if value == -math.inf else Fault.BELOW_MINIMUM
    if value > column.maximum:
        return Fault.NOT_FINITE if value == math.inf else Fault.ABOVE_MAXIMUM
    return Fault.MISSING  # NaN: neither in range nor out of it


def violation_of(column: Column, fault: Fault, value: Any, row: int | None = None) -> Violation:
    """The violation of ``column`` by ``value`` (as it was sent)."""
    return Violation(fault, column.name, value, show(value), column.allowed(), row)


def unknown_field(spec: DatasetSpec, name: str, value: Any, row: int | None = None) -> Violation:
    """A field the spec does not have."""
    return Violation(Fault.UNKNOWN_FIELD, name, value, show(value), fields_allowed(spec), row)


def check_value(column: Column, value: Any) -> Violation | None:
    """The violation of ``column`` by a value sent as JSON (a number, or anything else), if any.

    Booleans, strings and null are not numbers; an integer too large for a float is out of range.
    """
    if value is None or isinstance(value, (bool, str, bytes)) or not isinstance(value, int | float):
        return violation_of(column, Fault.NOT_A_NUMBER, value)
    try:
        fault = fault_of(column, float(value))
    except OverflowError:  # an integer of hundreds of digits
        fault = Fault.ABOVE_MAXIMUM if value > 0 else Fault.BELOW_MINIMUM
    return None if fault is None else violation_of(column, fault, value)


def read_text(column: Column, text: str | None, row: int | None = None) -> float:
    """The value of ``text`` (stripped) for ``column``, or :class:`InvalidValue` saying why not.

    Empty text is a missing value; the value must then be allowed by :func:`fault_of` (a number
    too large for a float, ``1e400``, is above the maximum, not infinite).
    """
    text = (text or "").strip()
    allowed = column.allowed()
    if not text:
        raise InvalidValue(Violation(Fault.MISSING, column.name, None, "", allowed, row))
    if not NUMBER.fullmatch(text):
        shown = show_text(text, number=False)
        raise InvalidValue(Violation(Fault.NOT_A_NUMBER, column.name, text, shown, allowed, row))
    value = float(text)
    fault = fault_of(column, value)
    if fault is Fault.NOT_FINITE:  # the text is a finite number, too large for a float
        fault = Fault.ABOVE_MAXIMUM if value > 0 else Fault.BELOW_MINIMUM
    if fault is not None:
        raise InvalidValue(Violation(fault, column.name, text, show_text(text), allowed, row))
    return value


def show_text(text: str, number: bool = True) -> str:
    """A text as a sentence writes it: a number as it was written, other text quoted, both cut
    after :data:`MAX_TEXT_SHOWN` characters."""
    cut = text[:MAX_TEXT_SHOWN]
    more = "…" if len(text) > MAX_TEXT_SHOWN else ""
    return (cut if number else repr(cut)) + more


def typed(column: Column, value: float) -> int | float:
    """An allowed value as the column's Python type (``int`` for whole numbers)."""
    return int(value) if column.kind is not Kind.NUMBER else value
