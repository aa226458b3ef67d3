"""Schema-driven fuzzing of the service's own OpenAPI document: no input makes it fail.

Schemathesis generates requests for every operation of the document the service serves, both
valid ones and ones that break the schema (wrong types, out-of-range values, missing or unknown
fields, other bodies). The service must answer each with a 2xx or a 4xx, never a 5xx; accept the
valid ones and refuse the invalid ones; answer as its document says; and every price it answers
must be a finite number. (MLflow's scoring formats cannot be described exactly by a JSON
schema (columns in any order, values checked per column), so for ``/invocations`` "valid per the
schema" does not mean acceptable, and only the other checks apply.)
"""

from __future__ import annotations

import math

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from webservice.app import create_app

pytestmark = pytest.mark.slow
EXAMPLES = 60
# Invalid data must be refused: schemathesis' usual refusals, plus 413 for a batch over the limit
REFUSALS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
CONFIG = schemathesis.Config.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": REFUSALS}}}
)


def check(case) -> None:
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.path}: {response.text}"
    if response.status_code == 200 and case.method == "POST":
        body = response.json()
        prices = body.get("prices") or body.get("predictions") or [body.get("price")]
        assert all(isinstance(p, float) and math.isfinite(p) for p in prices), body
    excluded = [positive_data_acceptance] if case.path == "/invocations" else []
    case.validate_response(response, excluded_checks=excluded)


@pytest.mark.usefixtures("registry")
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_request_makes_the_service_fail(mode):
    app = create_app()
    with TestClient(app):  # the lifespan: the champion is loaded before the first request
        schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert {op.path for op in operations} >= {"/predict", "/predict/batch", "/invocations"}
        if mode is GenerationMode.NEGATIVE:  # only bodies can break the schema here
            operations = [op for op in operations if op.method.upper() == "POST"]
        for operation in operations:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
            def fuzz(case) -> None:
                check(case)

            fuzz()  # pylint: disable=no-value-for-parameter
