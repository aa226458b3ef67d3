"""HTTP plumbing shared by the routes: JSON responses, request ids, bodies, refusals."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from paris_housing.datasets import DatasetSpec
from webservice.errors import ApiError, from_pydantic, problem, summary

JSON = "application/json"


def json_response(content: Any, status: int = 200) -> Response:
    """``content`` serialised by orjson."""
    return Response(orjson.dumps(content), status_code=status, media_type=JSON)


def request_id(request: Request) -> str:
    """The id :class:`webservice.middleware.RequestContext` gave the request."""
    return request.scope["state"]["request_id"]


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 beyond ``limit`` bytes (before reading it if declared)."""
    declared = None
    for name, value in request.scope["headers"]:
        if name == b"content-length":
            declared = value
            break
    if declared is not None and declared.isdigit():
        if int(declared) > limit:
            raise body_too_large(int(declared), limit)
        return await request.body()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise body_too_large(size, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def body_too_large(size: int, limit: int) -> ApiError:
    """413 for a body over the size limit."""
    message = f"the body has {size} bytes; at most {limit} are read"
    return ApiError(
        413,
        "body_too_large",
        message,
        [problem(["body"], None, size, message, f"at most {limit} bytes", "too_large")],
    )


def not_json(reason: object) -> ApiError:
    """400 for a body that does not parse as JSON."""
    message = f"the body is not valid JSON: {reason}"
    return ApiError(
        400,
        "not_json",
        message,
        [problem(["body"], None, None, message, "a JSON document", "json_invalid")],
    )


def refusal(exc: ValidationError, spec: DatasetSpec, max_rows: int) -> ApiError:
    """The refusal for a body that pydantic rejected: not JSON (400), too many homes (413), or
    wrong fields (422, one problem per field naming the value and what is allowed)."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    if first["type"] == "json_invalid":
        return not_json(first.get("ctx", {}).get("error", first["msg"]))
    if first["type"] == "too_long":
        count = first.get("ctx", {}).get("actual_length", "more")
        message = f"the batch has {count} homes; at most {max_rows} are allowed per request"
        return ApiError(
            413,
            "batch_too_large",
            message,
            [problem(["body"], None, count, message, f"at most {max_rows} homes", "too_large")],
        )
    problems = from_pydantic(errors, spec)
    return ApiError(422, "validation", summary(problems), problems)
