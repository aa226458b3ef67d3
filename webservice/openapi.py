"""The OpenAPI request body of ``/invocations``, the one route that parses its own body.

``/predict`` and ``/predict/batch`` take a model as their parameter, so FastAPI documents their
bodies (and puts the home model, ``Home``, in the document's components, which this refers to).
"""

from __future__ import annotations

from typing import Any

from paris_housing.contract import HOME_MODEL_NAME
from webservice.http import JSON

HOME_REF = {"$ref": f"#/components/schemas/{HOME_MODEL_NAME}"}


def invocations_body() -> dict[str, Any]:
    """The four JSON forms of MLflow's scoring protocol, and CSV."""
    records = {"type": "array", "items": HOME_REF, "minItems": 1}
    split = {
        "type": "object",
        "required": ["columns", "data"],
        "properties": {
            "columns": {"type": "array", "items": {"type": "string"}},
            "data": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "array", "items": {"type": "number"}},
            },
        },
    }
    forms = [("dataframe_split", split), ("dataframe_records", records)]
    forms += [("instances", records), ("inputs", records)]
    json_schema = {
        "oneOf": [
            {"type": "object", "required": [key], "properties": {key: schema}}
            for key, schema in forms
        ]
    }
    return {
        "requestBody": {
            "required": True,
            "content": {JSON: {"schema": json_schema}, "text/csv": {"schema": {"type": "string"}}},
        }
    }
