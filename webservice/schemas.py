"""The service's status models. The request and response models of the prediction routes are
the contract shared with the web form: :mod:`paris_housing.contract`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class InvocationsResponse(BaseModel):
    """MLflow's scoring protocol: one prediction per input row."""

    predictions: list[float]


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
