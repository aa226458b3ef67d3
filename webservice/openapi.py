"""The OpenAPI document: request bodies of the routes that parse their body themselves."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from webservice.http import JSON
from webservice.schemas import HOME_MODEL_NAME

HOME_REF = {"$ref": f"#/components/schemas/{HOME_MODEL_NAME}"}


def body(schema: dict[str, Any]) -> dict[str, Any]:
    """A route's ``openapi_extra`` declaring a required JSON body of ``schema``."""
    return {"requestBody": {"required": True, "content": {JSON: {"schema": schema}}}}


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


def document(app: FastAPI, home_model: type[BaseModel]) -> None:
    """Serve an OpenAPI document that also holds the home model (referenced by raw-body routes)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components[HOME_MODEL_NAME] = home_model.model_json_schema()
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
