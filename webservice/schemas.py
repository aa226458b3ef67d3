"""The API's request and response models. The request model is derived from the dataset spec."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from paris_housing.datasets import Column, DatasetSpec, Kind

HOME_MODEL_NAME = "Home"


def _bound(column: Column, value: float) -> float:
    return value if column.kind is Kind.NUMBER else int(value)


def _description(column: Column) -> str:
    return f"{column.description} Allowed: {column.allowed()}."


def _integer_schema(schema: dict[str, Any]) -> None:
    schema["type"] = "integer"
    schema.pop("multipleOf", None)


def home_model(spec: DatasetSpec) -> type[BaseModel]:
    """One home: every feature of the spec, with its type, range, label, unit and an example.

    Values must be finite JSON numbers (strings, booleans and null are refused); whole-number
    features take any number without a fraction (``3`` or ``3.0``, as JSON Schema's
    ``integer`` does, but not ``3.5``); unknown fields are refused. Values are kept as floats,
    the type the predictors compute with.
    """
    fields: dict[str, Any] = {}
    for column in spec.features:
        example = column.default if column.default is not None else column.minimum
        whole: dict[str, Any] = {}
        if column.kind is not Kind.NUMBER:
            whole = {"multiple_of": 1, "json_schema_extra": _integer_schema}
        fields[column.name] = (
            float,
            Field(
                ge=_bound(column, column.minimum),
                le=_bound(column, column.maximum),
                strict=True,
                allow_inf_nan=False,
                title=column.label,
                description=_description(column),
                examples=[_bound(column, example)],
                **whole,
            ),
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


class Prediction(BaseModel):
    """The estimated price of one home."""

    request_id: str = Field(description="The request's id (the X-Request-ID header if sent).")
    price: float = Field(description="Estimated price, in the currency below.")
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


class InvocationsResponse(BaseModel):
    """MLflow's scoring protocol: one prediction per input row."""

    predictions: list[float]


class Problem(BaseModel):
    """One thing wrong with a request: where, what was sent, why it is refused, what is allowed."""

    loc: list[str | int] = Field(description="Path to the value: body, row index, field.")
    field: str | None = Field(description="The spec's field concerned, if any.")
    input: Any = Field(None, description="The value sent (shortened when long).")
    msg: str
    allowed: str | None = Field(None, description="What would be accepted.")
    type: str = Field(description="Kind of problem, e.g. missing, out_of_range, extra_forbidden.")


class ErrorBody(BaseModel):
    """Why a request was refused."""

    request_id: str
    error: str = Field(description="Cause: validation, not_json, too_large, no_model ...")
    message: str = Field(description="The problems in one or a few sentences.")
    detail: list[Problem] = Field(default_factory=list)
    error_code: str | None = Field(None, description="MLflow's error code (/invocations only).")


class Health(BaseModel):
    """The process is alive."""

    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    """Whether a model is loaded and answers, and if not why."""

    ready: bool
    reason: str | None = None
    model_name: str
    model_version: str | None = None


class ModelDescription(BaseModel):
    """The model being served and where it comes from."""

    name: str
    version: str
    alias: str
    run_id: str | None
    source: str | None
    dataset: str | None
    dataset_version: str | None
    metrics: dict[str, float] = Field(description="Holdout metrics recorded by model selection.")
    tags: dict[str, str]
    predictor: str = Field(
        description="How it is evaluated: onnx (its ONNX model in ONNX Runtime) or pipeline "
        "(the fitted pipeline itself, when the version has no usable ONNX model)."
    )
    predictor_max_relative_error: float | None = Field(
        description="The ONNX model's largest relative difference from the pipeline, as "
        "registration's check measured it (null when the pipeline serves)."
    )
    predictor_fallback_reason: str | None = Field(
        None,
        description="Why the pipeline serves rather than an ONNX model (null when ONNX serves).",
    )
    onnx_check: str | None = Field(
        None, description="The ONNX check recorded at registration ('passed: ...', 'failed: ...')."
    )
    loaded_at: str
    load_seconds: float
    registry_uri: str
    last_checked_at: str | None = None
    registry_error: str | None = Field(None, description="The last failed registry check.")
