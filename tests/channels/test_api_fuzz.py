"""The API fuzzed from its own OpenAPI schema (schemathesis, in process over WSGI): whatever a
client sends, valid by the schema or not, no answer is a server error, and every answer to
valid input matches the schema. Bounded: a few dozen examples per operation and mode."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.channels.test_api import live  # noqa: F401 - fixture
from tests.pages.conftest import pages  # noqa: F401 - fixture
from vietfront.wsgi import application

pytestmark = pytest.mark.django_db

EXAMPLES = 20
CHECKS = {
    GenerationMode.POSITIVE: [schemathesis.checks.not_a_server_error, status_code_conformance,
                              content_type_conformance, response_schema_conformance],
    # Invalid input may be refused by the URL patterns (a JSON 404) before any view documents it.
    GenerationMode.NEGATIVE: [schemathesis.checks.not_a_server_error],
}


@pytest.fixture
def rate_off(settings):
    settings.VIETFRONT_API_RATE = ""  # hundreds of calls from one address in a few seconds


@pytest.fixture
def keep_the_test_connection():
    """The WSGI app closes the database connection after each request (a connection inside a
    transaction looks unusable): that would end the test's transaction and its data. Django's
    test client keeps it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_no_input_makes_a_server_error(live, rate_off, keep_the_test_connection, mode):  # noqa: F811
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
    exercised: dict[str, int] = {}
    statuses: set[int] = set()

    def fuzz(operation) -> None:  # noqa: ANN001 - a schemathesis APIOperation
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(mode))
        def run(case) -> None:  # noqa: ANN001
            cache.clear()  # every example cold: the database is what gets fuzzed, not the cache
            response = case.call_and_validate(checks=CHECKS[mode])
            exercised[operation.label] = exercised.get(operation.label, 0) + 1
            statuses.add(response.status_code)

        run()

    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        if mode == GenerationMode.NEGATIVE and not operation.path_parameters and not operation.query:
            continue  # /topics/ takes nothing that could be invalid
        fuzz(operation)
    # Not vacuous: every operation was called, many times, and answers and refusals came back.
    expected = len(operations) - (mode == GenerationMode.NEGATIVE)
    assert len(operations) == 8 and len(exercised) == expected, exercised
    assert sum(exercised.values()) >= (expected - 1) * EXAMPLES, exercised
    assert 400 in statuses or 404 in statuses, statuses
    if mode == GenerationMode.POSITIVE:
        assert 200 in statuses, statuses
