"""One stored submission: what a person entered, what the service answered, when, and its id.

The request id is made here, server-side, for every valid submission; it is the document's
``_id`` too, so writing the same submission twice can only ever leave one document. It is also
the submission's reference: the result page is found by it and shows the estimate as it was
stored (:func:`stored_estimate`), so that reloading the page shows the same estimate and
stores nothing.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from paris_housing.contract import Prediction
from paris_housing.datasets import DatasetSpec

ESTIMATED = "estimated"
API_UNAVAILABLE = "api_unavailable"
REFERENCE = re.compile(r"[0-9a-f]{32}")


def new_request_id() -> str:
    """A fresh request id (32 hex digits)."""
    return uuid.uuid4().hex


def is_reference(text: str) -> bool:
    """Whether ``text`` looks like a request id :func:`new_request_id` made."""
    return REFERENCE.fullmatch(text) is not None


def submission_document(
    *,
    request_id: str,
    spec: DatasetSpec,
    inputs: Mapping[str, int | float],
    estimate: Prediction | None,
    error: str | None = None,
    created_at: datetime | None = None,
) -> dict[str, Any]:
    """The document stored for one valid submission.

    ``inputs`` holds exactly the spec's features as numbers (the form parsed them), so no key or
    value of a document comes from what a client typed as text. ``estimate`` keeps every field
    of the service's answer (the model under ``model``; the request id is the document's).
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
        "estimate": (
            None
            if estimate is None
            else estimate.model_dump(exclude={"request_id", "model_name", "model_version"})
        ),
        "model": (
            None
            if estimate is None
            else {"name": estimate.model_name, "version": estimate.model_version}
        ),
        "error": error,
    }


def stored_estimate(document: Mapping[str, Any]) -> Prediction | None:
    """The service's answer as :func:`submission_document` stored it (None without one)."""
    if document.get("estimate") is None or document.get("model") is None:
        return None
    return Prediction(
        request_id=document["request_id"],
        model_name=document["model"]["name"],
        model_version=document["model"]["version"],
        **document["estimate"],
    )
