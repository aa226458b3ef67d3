"""One stored submission: what a person entered, what the service answered, when, and its id.

The request id is made here, server-side, for every valid submission; it is the document's
``_id`` too, so writing the same submission twice can only ever leave one document.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask_deployment.predictions import Estimate
from paris_housing.datasets import DatasetSpec

ESTIMATED = "estimated"
API_UNAVAILABLE = "api_unavailable"


def new_request_id() -> str:
    """A fresh request id (32 hex digits)."""
    return uuid.uuid4().hex


def submission_document(
    *,
    request_id: str,
    spec: DatasetSpec,
    inputs: Mapping[str, int | float],
    estimate: Estimate | None,
    error: str | None = None,
    created_at: datetime | None = None,
) -> dict[str, Any]:
    """The document stored for one valid submission.

    ``inputs`` holds exactly the spec's features as numbers (the form parsed them), so no key or
    value of a document comes from what a client typed as text.
    """
    missing = [name for name in spec.feature_names if name not in inputs]
    if missing:
        raise ValueError(f"a submission needs every feature; missing: {', '.join(missing)}")
    return {
        "_id": request_id,
        "request_id": request_id,
        "created_at": created_at or datetime.now(UTC),
        "status": ESTIMATED if estimate is not None else API_UNAVAILABLE,
        "dataset": spec.name,
        "schema_version": spec.schema_version,
        "inputs": {name: inputs[name] for name in spec.feature_names},
        "estimate": None if estimate is None else estimate.as_document(),
        "model": (
            None
            if estimate is None
            else {"name": estimate.model_name, "version": estimate.model_version}
        ),
        "error": error,
    }
