"""The prediction service, seen from the form: one HTTP call, its answer, or why there is none.

The form loads no model: it sends the typed inputs to ``POST {api_url}/predict`` with its own
request id in ``X-Request-ID`` (so the service's log and the stored submission share it) and
reads the answer with the contract both sides share (:mod:`paris_housing.contract`): a 200 is a
:class:`~paris_housing.contract.Prediction`, any refusal an
:class:`~paris_housing.contract.ErrorBody` whose problems name their field. Reading an answer is
pure (:func:`parse_estimate`, :func:`parse_rejection`, :func:`unavailable`);
:class:`PredictionClient` only does the I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import httpx
from pydantic import ValidationError

from paris_housing.contract import ErrorBody, Prediction

REQUEST_ID_HEADER = "X-Request-ID"
_UNREADABLE = "the price service gave an answer we could not read"


class ServiceUnavailable(Exception):
    """No estimate: the service is down, slow, has no model, or answered something unreadable.

    ``reason`` is the whole story (logged and stored); ``public`` is what the page may tell a
    visitor, without addresses or internals.
    """

    def __init__(self, reason: str, public: str = "the price service cannot be reached") -> None:
        super().__init__(reason)
        self.reason = reason
        self.public = public


class ServiceRejected(Exception):
    """The service refused the inputs (HTTP 422): messages by field name, and the rest."""

    def __init__(self, by_field: dict[str, str], other: list[str]) -> None:
        super().__init__("; ".join([*(f"{k}: {v}" for k, v in by_field.items()), *other]))
        self.by_field = by_field
        self.other = other


def _not_the_contract(what: str, error: ValidationError) -> ServiceUnavailable:
    found = "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'the body'}: {e['msg']}"
        for e in error.errors(include_url=False)
    )
    return ServiceUnavailable(
        f"the prediction service answered {what} that does not follow the contract ({found})",
        _UNREADABLE,
    )


def parse_estimate(content: bytes) -> Prediction:
    """The :class:`Prediction` of a 200 answer, or :class:`ServiceUnavailable` if it is not one."""
    try:
        return Prediction.model_validate_json(content)
    except ValidationError as error:
        raise _not_the_contract("a 200", error) from None


def parse_rejection(content: bytes, field_names: Sequence[str]) -> ServiceRejected:
    """The problems of a 422 answer, sorted into messages for the form's fields and the rest."""
    try:
        body = ErrorBody.model_validate_json(content)
    except ValidationError as error:
        raise _not_the_contract("a 422", error) from None
    by_field: dict[str, str] = {}
    other: list[str] = []
    for problem in body.detail:
        if problem.field in field_names:
            by_field.setdefault(problem.field, problem.msg)
        else:
            other.append(problem.msg)
    return ServiceRejected(by_field, other if body.detail else [body.message])


def unavailable(status: int, content: bytes) -> ServiceUnavailable:
    """Why an answer other than 200 or 422 gave no estimate (the refusal's message, when the
    answer is an ``ErrorBody``)."""
    try:
        reason: str | None = ErrorBody.model_validate_json(content).message
    except ValidationError:
        reason = None
    public = (
        "the price service has no model ready yet"
        if status == 503
        else "the price service failed to answer"
    )
    return ServiceUnavailable(
        f"the prediction service answered HTTP {status}" + (f": {reason}" if reason else ""),
        public,
    )


class PredictionClient:
    """Talks to the prediction service; thread-safe (one connection pool per app)."""

    def __init__(self, base_url: str, timeout_seconds: float, field_names: list[str]) -> None:
        self.base_url = base_url.rstrip("/")
        self.field_names = field_names
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout_seconds)

    def predict(self, inputs: Mapping[str, int | float], request_id: str) -> Prediction:
        """The estimate for ``inputs``; raises :class:`ServiceUnavailable` or
        :class:`ServiceRejected`."""
        try:
            response = self._http.post(
                "/predict", json=dict(inputs), headers={REQUEST_ID_HEADER: request_id}
            )
        except httpx.TimeoutException:
            raise ServiceUnavailable(
                f"the prediction service at {self.base_url} did not answer in time",
                "the price service did not answer in time",
            ) from None
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(
                f"the prediction service at {self.base_url} cannot be reached ({exc})"
            ) from None
        if response.status_code == 200:
            return parse_estimate(response.content)
        if response.status_code == 422:
            raise parse_rejection(response.content, self.field_names)
        raise unavailable(response.status_code, response.content)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()
