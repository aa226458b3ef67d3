"""HTTP plumbing shared by the routes: JSON responses, request ids, the body limit, refusals."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterable, MutableMapping
from typing import Any

import orjson
import pydantic_core
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from paris_housing.datasets import DatasetSpec
from webservice.errors import ApiError, from_pydantic, problem, repeated, summary_of

JSON = "application/json"
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Refuse = Callable[[ApiError, Request], Response]
_HTTP_CAUSES = {400: "not_json", 404: "not_found", 405: "method_not_allowed"}


def json_response(content: Any, status: int = 200) -> Response:
    """``content`` serialised by orjson."""
    return Response(orjson.dumps(content), status_code=status, media_type=JSON)


def request_id(request: Request) -> str:
    """The id :class:`webservice.middleware.RequestContext` gave the request."""
    return request.scope["state"]["request_id"]


def media_type(request: Request) -> str:
    """The request's content type without parameters, lower case ('' when absent)."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


class BodyLimit:
    """Refuse (413) a request body over ``limit`` bytes: before reading it when its length is
    declared, as soon as the limit is passed when it is streamed. It is the one place where
    bodies are admitted, for the routes FastAPI reads and for those that read their own, so it
    also refuses (415) a compressed body (a ``Content-Encoding`` other than ``identity``): no
    route reads one, and it would otherwise be refused as "not valid JSON"."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        encoding = next((v for k, v in scope["headers"] if k == b"content-encoding"), b"")
        if encoding.strip().lower() not in (b"", b"identity"):
            await self.app(scope, _refusing(unsupported_encoding(encoding.decode("latin-1"))), send)
            return
        limit = self.limit
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and declared.isdigit():  # the server reads no more than this
            if int(declared) <= limit:
                await self.app(scope, receive, send)
                return
            await self.app(scope, _refusing(body_too_large(int(declared), limit)), send)
            return
        size = 0

        async def limited() -> Message:  # a streamed body: counted as it comes
            nonlocal size
            message = await receive()
            size += len(message.get("body", b""))
            if size > limit:
                raise body_too_large(size, limit)
            return message

        await self.app(scope, limited, send)


def _refusing(error: ApiError) -> Receive:
    """A ``receive`` that raises ``error``: the body is refused when the route reads it."""

    async def refused() -> Message:
        raise error

    return refused


def _refusal(
    status: int, cause: str, message: str, sent: Any, allowed: str, kind: str, loc: str = "body"
) -> ApiError:
    """A refusal of the whole body (or one header) with its one problem."""
    where = ["headers", loc] if loc != "body" else ["body"]
    return ApiError(status, cause, message, [problem(where, None, sent, message, allowed, kind)])


def unsupported_encoding(encoding: str) -> ApiError:
    """415 for a compressed body."""
    message = f"content encoding {encoding!r} is not supported: send the body uncompressed"
    return _refusal(
        415,
        "unsupported_media_type",
        message,
        encoding,
        "identity",
        "unsupported",
        "content-encoding",
    )


def body_too_large(size: int, limit: int) -> ApiError:
    """413 for a body over the size limit."""
    message = f"the body has {size} bytes; at most {limit} are read"
    return _refusal(413, "body_too_large", message, size, f"at most {limit} bytes", "too_large")


def not_json(reason: object) -> ApiError:
    """400 for a body that does not parse as JSON."""
    message = f"the body is not valid JSON: {reason}"
    return _refusal(400, "not_json", message, None, "a JSON document", "json_invalid")


def unsupported_media(media: str, allowed: Iterable[str] = (JSON,)) -> ApiError:
    """415 for a body of another content type than those ``allowed``."""
    what = " or ".join(allowed)
    sent = f"content type {media!r}" if media else "no content type"
    message = f"{sent} is not supported: send {what}"
    return ApiError(
        415,
        "unsupported_media_type",
        message,
        [problem(["headers", "content-type"], None, media, message, what, "unsupported")],
    )


def parse_json(body: bytes) -> Any:
    """The JSON document in ``body`` (orjson), or a 400.

    A number orjson cannot hold as a double (hundreds of digits, ``1e400``) is read again by
    pydantic-core, which keeps it (as a big integer or infinity), so that the rules can name the
    field it belongs to instead of refusing the whole body.
    """
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if "number" not in str(exc):
            raise not_json(exc) from None
    try:
        return pydantic_core.from_json(body)
    except ValueError as exc:
        raise not_json(exc) from None


class RepeatedKey(ValueError):
    """A JSON object gives the same key twice."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json``'s ``object_pairs_hook``: the object, or :class:`RepeatedKey`."""
    found = dict(pairs)
    if len(found) != len(pairs):
        raise RepeatedKey(next(k for k, n in Counter(k for k, _ in pairs).items() if n > 1))
    return found


def _flat_keys(value: Any) -> int | None:
    """The number of keys of a flat object (or of a list of flat objects, a batch); None for
    anything else."""
    if isinstance(value, dict):
        flat = not any(isinstance(v, (dict, list)) for v in value.values())
        return len(value) if flat else None
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        counts = [_flat_keys(v) for v in value]
        return None if None in counts else sum(counts)  # type: ignore[arg-type]
    return None


def unique_json(body: bytes) -> Any:
    """The JSON document in ``body``; :class:`RepeatedKey` if an object gives a key twice.

    Fast path: orjson, whose last key wins, then a count: each key of a flat object has its own
    ``:`` outside strings, so as many ``:`` in the body as keys parsed means no key was given
    twice. Otherwise (a ``:`` inside a string, nested objects, what orjson refuses) ``json``
    reads it again with :func:`unique_object` as its ``object_pairs_hook``, which decides.
    """
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        parsed = None
    else:
        if _flat_keys(parsed) == body.count(b":"):
            return parsed
    return json.loads(body, object_pairs_hook=unique_object)


class UniqueKeysRoute(APIRoute):
    """A route whose JSON body FastAPI reads as usual, except that a key given twice in an object
    is refused (422 naming it) instead of the last one silently winning.

    The body is parsed once, by :func:`unique_json`, and handed to FastAPI as the request's
    parsed JSON; a body that is not JSON is left to FastAPI's own refusal. Measured in process
    (the ASGI app called directly, one home, CPU per request, best of 7 rounds of 20,000):
    FastAPI's own parsing 67.0 us against ``json`` with the hook on every body 70.2 us; then,
    in two runs, FastAPI's own 71.1 and 62.1 us against this one's 68.4 and 62.2 us.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def unique_keys(request: Request) -> Response:
            media = media_type(request)
            if media in ("", JSON) or media.endswith("+json"):
                body = await request.body()
                try:  # read by FastAPI as the request's parsed JSON
                    request._json = unique_json(body)  # pylint: disable=protected-access
                except RepeatedKey as twice:
                    problems = [repeated(["body", twice.key], twice.key, "key")]
                    raise ApiError(422, "validation", summary_of(problems), problems) from None
                except ValueError:
                    pass  # not JSON: FastAPI refuses it as before
            return await handler(request)

        return unique_keys


def refusal(
    errors: list[dict[str, Any]], spec: DatasetSpec, max_rows: int, media: str = JSON
) -> ApiError:
    """The refusal for a body that pydantic rejected (``loc`` without the leading ``body``):
    not JSON (400), of another content type (415), too many homes (413), or wrong fields (422,
    one problem per field naming the value and what is allowed)."""
    first = errors[0]
    if first["type"] == "json_invalid":
        ctx = first.get("ctx", {})
        where = f" (at character {first['loc'][0]})" if first["loc"] else ""
        return not_json(f"{ctx.get('error', first['msg'])}{where}")
    if first["type"] == "missing" and not first["loc"]:
        return not_json("the body is empty")
    if isinstance(first.get("input"), bytes) and media != JSON:
        return unsupported_media(media)
    if first["type"] == "too_long" and not first["loc"]:
        count = first.get("ctx", {}).get("actual_length", "more")
        message = f"the batch has {count} homes; at most {max_rows} are allowed per request"
        return ApiError(
            413,
            "batch_too_large",
            message,
            [problem(["body"], None, count, message, f"at most {max_rows} homes", "too_large")],
        )
    problems = from_pydantic(errors, spec)
    return ApiError(422, "validation", summary_of(problems), problems)


def install_refusals(app: FastAPI, refuse: Refuse, spec: DatasetSpec, max_rows: int) -> None:
    """Answer every refusal raised outside a route's own handling (the body FastAPI reads and
    validates, the body limit, unknown paths and methods) with an ``ErrorBody``."""

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = [{**e, "loc": tuple(e["loc"])[1:]} for e in exc.errors()]  # without "body"
        return refuse(refusal(errors, spec, max_rows, media_type(request)), request)

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return refuse(exc, request)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        cause = _HTTP_CAUSES.get(exc.status_code, "http_error")
        detail = str(exc.__cause__ or exc.detail)  # FastAPI's 400 hides why the body failed
        message = f"the body is not valid JSON: {detail}" if cause == "not_json" else detail
        return refuse(ApiError(exc.status_code, cause, message), request)

    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(HTTPException, http_error)
