"""Refusals the API answers with: what was wrong, with the value sent and what is allowed.

A value that breaks the spec is a :class:`~paris_housing.datasets.rules.Violation`, worded by the
spec's one message builder; this module turns violations, and pydantic's errors about the shape
of a body, into the problems of an :class:`~paris_housing.contract.ErrorBody`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from starlette.exceptions import HTTPException

from paris_housing.datasets import DatasetSpec, rules
from paris_housing.datasets.arrays import MAX_VIOLATIONS
from paris_housing.datasets.rules import Fault, Violation

MAX_PROBLEMS = MAX_VIOLATIONS


class ApiError(HTTPException):
    """A request the service refuses, with its HTTP status and the problems found.

    An :class:`HTTPException`, so that one raised while FastAPI reads a body (the body limit)
    reaches the service's handler as it is.
    """

    def __init__(
        self, status: int, cause: str, message: str, problems: Sequence[dict] = ()
    ) -> None:
        super().__init__(status, message)
        self.status = status
        self.cause = cause
        self.message = message
        self.problems = list(problems)[:MAX_PROBLEMS]

    def body(self, request_id: str, error_code: str | None = None) -> dict[str, Any]:
        """The JSON body of the refusal (see :class:`paris_housing.contract.ErrorBody`)."""
        body: dict[str, Any] = {
            "request_id": request_id,
            "error": self.cause,
            "message": self.message,
            "detail": self.problems,
        }
        if error_code:
            body["error_code"] = error_code
        return body


def problem(
    loc: Sequence[str | int],
    field: str | None,
    value: Any,
    msg: str,
    allowed: str | None,
    kind: str,
) -> dict[str, Any]:
    """One problem, in the shape of :class:`paris_housing.contract.Problem`."""
    return {
        "loc": list(loc),
        "field": field,
        "input": rules.json_value(value),
        "msg": msg,
        "allowed": allowed,
        "type": kind,
    }


def repeated(loc: Sequence[str | int], name: str, what: str) -> dict[str, Any]:
    """The problem of a name given twice (a JSON key, a column): the first would be used and
    the second never checked, or the last would silently win."""
    return problem(
        loc, name, name, f"{what} {name!r} is given more than once", f"each {what} once", "repeated"
    )


def from_violation(violation: Violation, loc: Sequence[str | int] | None = None) -> dict[str, Any]:
    """A violation as a problem; ``loc`` defaults to ``body``, its row, its field."""
    if loc is None:
        loc = ["body", *([] if violation.row is None else [violation.row]), violation.field]
    return problem(
        loc,
        violation.field,
        violation.value,
        rules.message(violation),
        violation.allowed,
        violation.type,
    )


def invalid_values(violations: Sequence[Violation], prefix: str = "") -> ApiError:
    """A 400 for rows that cannot be scored (``/invocations``)."""
    problems = [from_violation(v) for v in violations]
    return ApiError(400, "validation", summary_of(problems, prefix), problems)


_FAULTS = {
    "missing": Fault.MISSING,
    "extra_forbidden": Fault.UNKNOWN_FIELD,
    "float_type": Fault.NOT_A_NUMBER,
    **{fault.value: fault for fault in Fault},  # the spec's rule itself (paris_housing.contract)
}


def _fault(error: dict[str, Any]) -> Fault | None:
    """The rule a pydantic error about one field's value stands for, if it is one."""
    value = error.get("input")
    whole = isinstance(value, int) and not isinstance(value, bool)
    if error["type"] in ("finite_number", "float_type") and whole:
        return Fault.ABOVE_MAXIMUM if value > 0 else Fault.BELOW_MINIMUM  # too large for a float
    if error["type"] == "finite_number":
        return Fault.NOT_FINITE
    return _FAULTS.get(error["type"])


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
        field = loc[-1] if loc and isinstance(loc[-1], str) else None
        row = loc[0] if loc and isinstance(loc[0], int) else None
        fault = _fault(error) if field is not None else None
        value = error.get("input")
        if fault is Fault.UNKNOWN_FIELD:
            problems.append(
                from_violation(rules.unknown_field(spec, field, value, row), ["body", *loc])
            )
        elif fault is not None and field in names:
            shown = None if fault is Fault.MISSING else value
            found = rules.violation_of(spec.column(field), fault, shown, row)
            problems.append(from_violation(found, ["body", *loc]))
        else:  # the body or a row is not an object, or the batch is not a list
            allowed = f"a JSON object with {rules.fields_allowed(spec)}"
            if error["type"] == "list_type":
                allowed = f"a JSON array of homes, each {allowed}"
            msg = f"{rules.where(None, row)}: {rules.show(value)} must be {what}"
            problems.append(problem(["body", *loc], field, value, msg, allowed, error["type"]))
    return problems


def summary_of(problems: Sequence[dict[str, Any]], prefix: str = "") -> str:
    """The first problems as sentences, e.g. 'squareMeters: -1 must be a whole number from 1 to
    100,000 m²' (with what is allowed, when the sentence does not say it)."""
    return rules.summary([_sentence(p) for p in problems], prefix)


def _sentence(found: dict[str, Any]) -> str:
    msg, allowed = found["msg"], found.get("allowed")
    return msg if not allowed or allowed in msg else f"{msg} (allowed: {allowed})"
