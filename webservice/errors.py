"""Refusals the API answers with: what was wrong, with the value sent and what is allowed."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from paris_housing.datasets import DatasetSpec

MAX_INPUT_CHARS = 120
MAX_PROBLEMS = 50
SUMMARY_PROBLEMS = 3


class ApiError(Exception):
    """A request the service refuses, with its HTTP status and the problems found."""

    def __init__(
        self, status: int, cause: str, message: str, problems: Sequence[dict] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.cause = cause
        self.message = message
        self.problems = list(problems)[:MAX_PROBLEMS]

    def body(self, request_id: str, error_code: str | None = None) -> dict[str, Any]:
        """The JSON body of the refusal (see :class:`webservice.schemas.ErrorBody`)."""
        body: dict[str, Any] = {
            "request_id": request_id,
            "error": self.cause,
            "message": self.message,
            "detail": self.problems,
        }
        if error_code:
            body["error_code"] = error_code
        return body


def shown(value: Any) -> Any:
    """``value`` as it can be shown back in JSON: finite numbers as is, anything else shortened."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else _short(str(value))
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, bytes):
        return _short(value.decode("utf-8", errors="replace"))
    if isinstance(value, str):
        return _short(value)
    return _short(repr(value))


def _short(text: str) -> str:
    return text if len(text) <= MAX_INPUT_CHARS else text[: MAX_INPUT_CHARS - 1] + "…"


def problem(
    loc: Sequence[str | int],
    field: str | None,
    value: Any,
    msg: str,
    allowed: str | None,
    kind: str,
) -> dict[str, Any]:
    """One problem, in the shape of :class:`webservice.schemas.Problem`."""
    return {
        "loc": list(loc),
        "field": field,
        "input": shown(value),
        "msg": msg,
        "allowed": allowed,
        "type": kind,
    }


def fields_allowed(spec: DatasetSpec) -> str:
    """The sentence that lists the fields a home has."""
    return "the fields " + ", ".join(spec.feature_names)


_PYDANTIC_REASONS = {
    "missing": ("is missing", "missing"),
    "extra_forbidden": ("is not a field of a home", "extra_forbidden"),
    "float_type": ("is not a number", "wrong_type"),
    "multiple_of": ("is not a whole number", "wrong_type"),
    "finite_number": ("is not a finite number", "wrong_type"),
    "greater_than_equal": ("is out of range", "out_of_range"),
    "less_than_equal": ("is out of range", "out_of_range"),
}


def from_pydantic(
    errors: Iterable[dict[str, Any]], spec: DatasetSpec, what: str = "a home"
) -> list[dict[str, Any]]:
    """Pydantic's validation errors as problems naming the field, the value and what is allowed.

    ``loc`` is prefixed with ``body``; in a batch it holds the row's index before the field.
    """
    names = set(spec.feature_names)
    problems = []
    for error in errors:
        loc = list(error["loc"])
        field = next((p for p in reversed(loc) if isinstance(p, str)), None)
        reason, kind = _PYDANTIC_REASONS.get(error["type"], (None, error["type"]))
        value = None if kind == "missing" else error.get("input")
        if kind == "extra_forbidden":
            allowed = fields_allowed(spec)
        elif field in names:
            allowed = spec.column(field).allowed()
        else:  # the body or a row is not an object, or the batch is not a list
            allowed = f"a JSON object with {fields_allowed(spec)}"
            if error["type"] == "list_type":
                allowed = f"a JSON array of homes, each {allowed}"
            reason = f"must be {what}"
        where = _where(loc)
        msg = f"{where} {reason}" if kind == "missing" else f"{where}: {_quoted(value)} {reason}"
        problems.append(problem(["body", *loc], field, value, msg, allowed, kind))
    return problems


def _where(loc: Sequence[str | int]) -> str:
    """'squareMeters', 'row 3, squareMeters', 'row 3' or 'the body'."""
    parts = [f"row {p}" if isinstance(p, int) else p for p in loc]
    return ", ".join(parts) if parts else "the body"


def _quoted(value: Any) -> str:
    """A string sent is quoted ('75'); anything else is written as JSON would (75, true ...)."""
    return repr(shown(value)) if isinstance(value, (str, bytes)) else str(shown(value))


def summary(problems: Sequence[dict[str, Any]], prefix: str = "") -> str:
    """The first problems as sentences, e.g. 'squareMeters: -1 is out of range (allowed: ...)'."""
    parts = [
        p["msg"] + (f" (allowed: {p['allowed']})" if p.get("allowed") else "")
        for p in problems[:SUMMARY_PROBLEMS]
    ]
    more = len(problems) - SUMMARY_PROBLEMS
    if more > 0:
        parts.append(f"and {more} more problem{'s' if more > 1 else ''}")
    return prefix + "; ".join(parts)
