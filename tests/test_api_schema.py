"""Schemathesis against the OpenAPI document: requests generated from the
schema of every investigation endpoint (valid and invalid ones) over a
clustered, tagged store never get a server error, and every refusal is an
RFC 9457 problem+json document."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (pip install -e '.[test]')")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from test_trace_fixtures import economy  # noqa: E402, I001

#: examples per endpoint and phase: enough to hit each parameter's edges, quick to run
EXAMPLES = 6


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    from chaintrail.api import create_app

    eco = economy(tmp_path_factory.getbasetemp())
    app = create_app(eco["store"])
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def problem_details(ctx, response, case):
    """Every 4xx/5xx answer is problem+json with type, title, status and detail."""
    if response.status_code < 400:
        return None
    ctype = response.headers.get("content-type", [""])
    ctype = ctype[0] if isinstance(ctype, list) else ctype
    assert ctype.startswith("application/problem+json"), f"{response.status_code} answered as {ctype}"
    body = response.json()
    assert body["status"] == response.status_code and body["title"] and body["detail"]
    assert body["type"].startswith("/problems/")
    return None


# the compliance desk's endpoints (/api/v1/desk, and the monitor's alerts under /api/v1/monitor)
# act for desk users on a desk database this store does not have (they answer 503 "run chaintrail
# desk init"): the desk's and the monitor's own tests cover them
schema = schemathesis.pytest.from_fixture("api_schema").exclude(path_regex=r"^/api/v1/(desk|monitor)")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_server_error(case):
    case.call_and_validate(checks=[not_a_server_error], additional_checks=[problem_details])
