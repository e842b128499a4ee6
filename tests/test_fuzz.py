"""Schemathesis fuzzes the live API from its own /api/v1/openapi.json, on SQLite and PostgreSQL.

For every operation, generated requests (valid and invalid) are sent as the platform admin, who
reaches the deepest code. Every response must: not be a 500, have a documented status, match the
documented schema (errors included: ``{"error": {code, message, fields}}``), and refuse what the
schema says is invalid. The number of examples is bounded so the suite stays fast.
"""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import TEST_CONFIG
from volunteer_hub import create_app

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]
EXAMPLES = 8


@pytest.fixture
def admin_token(api, world, saturday):
    return api(world.admin).token


# The document is the same whatever the database: load it once, from an app on an in-memory one.
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"}))
# The token is sent with every case; tests/test_authorisation.py covers calls without one.
schema.config.generation.update(with_security_parameters=False)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_api_holds_to_its_schema(case, app, admin_token):
    # Sent to the test's own app, on SQLite or PostgreSQL, with a world and a service day in it.
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {admin_token}"}, checks=CHECKS)
