"""The prediction service, seen from the form: one HTTP call, its answer, or why there is none.

The form loads no model: it sends the typed inputs to ``POST {api_url}/predict`` with its own
request id in ``X-Request-ID`` (so the service's log and the stored submission share it) and reads
the price, the model's name and version, and, when the service gives them, an interval and the
main reasons. Parsing the answer is pure (:func:`parse_estimate`); :class:`PredictionClient` only
does the I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from flask_deployment.values import format_euros

REQUEST_ID_HEADER = "X-Request-ID"
_UNREADABLE = "the price service gave an answer we could not read"


@dataclass(frozen=True)
class Interval:
    """A range the price likely falls in, with its confidence level when the service says it."""

    low: float
    high: float
    level: float | None = None


@dataclass(frozen=True)
class Estimate:
    """What the service answered for one home."""

    price: float
    currency: str
    model_name: str
    model_version: str
    interval: Interval | None = None
    reasons: tuple[str, ...] = field(default_factory=tuple)

    def as_document(self) -> dict[str, Any]:
        """The estimate as stored with the submission (plain types only)."""
        return {
            "price": self.price,
            "currency": self.currency,
            "interval": None if self.interval is None else vars(self.interval).copy(),
            "reasons": list(self.reasons),
        }


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


def parse_estimate(body: Any) -> Estimate:
    """The estimate in a 200 answer, or :class:`ServiceUnavailable` if it is not one."""
    if not isinstance(body, Mapping):
        raise ServiceUnavailable(
            "the prediction service answered something that is not JSON", _UNREADABLE
        )
    price = _number(body.get("price"))
    if price is None or price < 0:
        raise ServiceUnavailable(
            f"the prediction service answered no usable price ({body.get('price')!r})", _UNREADABLE
        )
    return Estimate(
        price=price,
        currency=str(body.get("currency") or "EUR"),
        model_name=str(body.get("model_name") or "unknown"),
        model_version=str(body.get("model_version") or "unknown"),
        interval=_interval(body.get("interval")),
        reasons=_reasons(body.get("reasons")),
    )


def parse_rejection(body: Any, field_names: list[str]) -> ServiceRejected:
    """FastAPI's 422 ``detail`` list, sorted into messages for the form's fields and the rest."""
    detail = body.get("detail") if isinstance(body, Mapping) else body
    items = detail if isinstance(detail, list) else [detail]
    if not items and isinstance(body, Mapping) and body.get("message"):
        items = [str(body["message"])]
    by_field: dict[str, str] = {}
    other: list[str] = []
    for item in items:
        loc = item.get("loc", []) if isinstance(item, Mapping) else []
        msg = str(item.get("msg", item)) if isinstance(item, Mapping) else str(item)
        if isinstance(item, Mapping) and item.get("allowed"):
            msg = f"{msg} (allowed: {item['allowed']})"
        name = next((str(part) for part in reversed(loc) if str(part) in field_names), None)
        if name is None:
            other.append(msg)
        else:
            by_field.setdefault(name, msg)
    return ServiceRejected(by_field, other)


def unavailable(status: int, body: Any) -> ServiceUnavailable:
    """Why an answer other than 200 or 422 gave no estimate (FastAPI's ``{"detail": reason}``
    or the service's ``{"error", "message", "detail": [...]}``)."""
    reason = None
    if isinstance(body, Mapping):
        reason = next(
            (body[k] for k in ("detail", "message") if isinstance(body.get(k), str) and body[k]),
            None,
        )
    public = (
        "the price service has no model ready yet"
        if status == 503
        else "the price service failed to answer"
    )
    return ServiceUnavailable(
        f"the prediction service answered HTTP {status}" + (f": {reason}" if reason else ""),
        public,
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _interval(value: Any) -> Interval | None:
    """Accepts ``{"low", "high", "level"}`` (or lower/upper) and ``[low, high]``."""
    if isinstance(value, Mapping):
        low = _number(value.get("low", value.get("lower")))
        high = _number(value.get("high", value.get("upper")))
        level = _number(value.get("level", value.get("confidence")))
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        low, high, level = _number(value[0]), _number(value[1]), None
    else:
        return None
    if low is None or high is None or low > high:
        return None
    return Interval(low, high, level)


def _reasons(value: Any) -> tuple[str, ...]:
    """Reasons as sentences: strings as given, ``{"feature", "effect"}`` items spelled out."""
    if not isinstance(value, list):
        return ()
    reasons = []
    for item in value[:10]:
        if isinstance(item, str):
            reasons.append(item)
        elif isinstance(item, Mapping):
            text = item.get("text") or item.get("description")
            name = item.get("label") or item.get("feature") or item.get("name")
            effect = _number(item.get("effect", item.get("contribution", item.get("impact"))))
            if text:
                reasons.append(str(text))
            elif name and effect is not None:
                sign = "+" if effect >= 0 else "−"
                reasons.append(f"{name}: {sign}{format_euros(abs(effect))}")
    return tuple(reasons)


class PredictionClient:
    """Talks to the prediction service; thread-safe (one connection pool per app)."""

    def __init__(self, base_url: str, timeout_seconds: float, field_names: list[str]) -> None:
        self.base_url = base_url.rstrip("/")
        self.field_names = field_names
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout_seconds)

    def predict(self, inputs: Mapping[str, int | float], request_id: str) -> Estimate:
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
        body = _json(response)
        if response.status_code == 200:
            return parse_estimate(body)
        if response.status_code == 422:
            raise parse_rejection(body, self.field_names)
        raise unavailable(response.status_code, body)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
