"""The contract between the prediction service and its clients: what a request holds and what
each answer is. The service declares and parses its bodies with these models and documents its
answers with them; the web form reads the service's answers with them, so a field the service
gains is a field the contract gains.

The request model is generated from the dataset spec: pydantic reads the JSON (finite numbers
only; strings, booleans and null are refused; unknown fields too) and each field's value is then
checked by the spec's own rule (:func:`paris_housing.datasets.rules.fault_of`), whose failure
keeps the rule's :class:`~paris_housing.datasets.rules.Fault` as the error's type. Its JSON
Schema carries each field's type, range, label and unit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, create_model
from pydantic_core import PydanticCustomError

from paris_housing.datasets import Column, DatasetSpec, Kind
from paris_housing.datasets.rules import fault_of, reason, violation_of

HOME_MODEL_NAME = "Home"


def _bound(column: Column, value: float) -> float:
    return value if column.kind is Kind.NUMBER else int(value)


def _json_schema(column: Column) -> dict[str, Any]:
    """What the rule allows, in JSON Schema (for the OpenAPI document and schema-driven tests)."""
    return {
        "type": "number" if column.kind is Kind.NUMBER else "integer",
        "minimum": _bound(column, column.minimum),
        "maximum": _bound(column, column.maximum),
    }


def _rule(column: Column) -> Callable[[float], float]:
    """The spec's rule for ``column`` as a pydantic validator."""

    def check(value: float) -> float:
        fault = fault_of(column, value)
        if fault is None:
            return value
        raise PydanticCustomError(
            fault.value, "{reason}", {"reason": reason(violation_of(column, fault, value))}
        )

    return check


def home_model(spec: DatasetSpec) -> type[BaseModel]:
    """One home: every feature of the spec, with its type, range, label, unit and an example.

    Whole-number features take any number without a fraction (``3`` or ``3.0``, not ``3.5`` nor
    ``0.9999999999``). Values are kept as floats, the type the predictors compute with.
    """
    fields: dict[str, Any] = {}
    for column in spec.features:
        example = column.example
        fields[column.name] = (
            Annotated[
                float,
                Field(
                    strict=True,
                    allow_inf_nan=False,
                    title=column.label,
                    description=f"{column.description} Allowed: {column.allowed()}.",
                    examples=[_bound(column, example)],
                    json_schema_extra=_json_schema(column),
                ),
                AfterValidator(_rule(column)),
            ],
            ...,
        )
    return create_model(  # type: ignore[call-overload]
        HOME_MODEL_NAME,
        __config__=ConfigDict(
            extra="forbid",
            title=HOME_MODEL_NAME,
            json_schema_extra={"description": f"One home of the dataset {spec.title!r}."},
        ),
        **fields,
    )


def homes_type(home: type[BaseModel], max_rows: int) -> Any:
    """A JSON array of 1 to ``max_rows`` homes (the body of ``/predict/batch``)."""
    return Annotated[list[home], Field(min_length=1, max_length=max_rows)]  # type: ignore[valid-type]


def homes_adapter(home: type[BaseModel], max_rows: int) -> TypeAdapter[Any]:
    """A validator of :func:`homes_type`."""
    return TypeAdapter(homes_type(home, max_rows))


class Prediction(BaseModel):
    """The estimated price of one home."""

    request_id: str = Field(description="The request's id (the X-Request-ID header if sent).")
    price: float = Field(allow_inf_nan=False, description="Estimated price, in the currency below.")
    currency: str = Field(examples=["EUR"])
    model_name: str = Field(examples=["paris-housing-kaggle"])
    model_version: str = Field(examples=["3"])


class BatchPrediction(BaseModel):
    """The estimated prices of several homes, in the order they were sent."""

    request_id: str
    prices: list[float]
    currency: str = Field(examples=["EUR"])
    model_name: str
    model_version: str


class Problem(BaseModel):
    """One thing wrong with a request: where, what was sent, why it is refused, what is allowed."""

    loc: list[str | int] = Field(description="Path to the value: body, row index, field.")
    field: str | None = Field(description="The spec's field concerned, if any.")
    input: Any = Field(None, description="The value sent (shortened when long).")
    msg: str = Field(description="The problem in one sentence, with what is allowed.")
    allowed: str | None = Field(None, description="What would be accepted.")
    type: str = Field(description="Kind of problem, e.g. missing, out_of_range, extra_forbidden.")


class ErrorBody(BaseModel):
    """Why a request was refused."""

    request_id: str
    error: str = Field(description="Cause: validation, not_json, too_large, no_model ...")
    message: str = Field(description="The problems in one or a few sentences.")
    detail: list[Problem] = Field(default_factory=list)
    error_code: str | None = Field(None, description="MLflow's error code (/invocations only).")
