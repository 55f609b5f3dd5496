"""schemathesis against ``/api/v1``'s OpenAPI: generated requests (valid and not) to every operation;
no 5xx, and every response — errors included — matches the schema documented for it.

Bounded for CI: a fixed number of examples per operation, derandomized so a run repeats exactly.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from dailypapers.api.api import api

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 30
# Parameters a pattern cannot fully describe: a cursor must be one we signed, a day must exist
# (2026-02-30 fits the pattern). A well-formed but wrong value is a 400, so for requests carrying one
# "schema-valid data is accepted" does not hold; every other check still runs on them.
SEMANTIC_PARAMS = {"cursor", "day", "week", "month"}


# Built at collection straight from the API object (no request, so no rate limit to meet), then called
# through the WSGI app.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema()).include(path_regex=r"^/api/v1/")
schema.app = get_wsgi_application()


@pytest.fixture
def app_under_test(settings):
    settings.API_RATE_LIMIT = 1_000_000  # generated requests, not the rate limit, are under test here
    # Called straight through WSGI, each request would close the test's database connection (and with
    # it the test database) as it starts and ends; Django's own test client disconnects these the same way.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_v1_answers_as_documented(case, corpus, app_under_test):
    excluded = []
    if SEMANTIC_PARAMS & set(case.query or {}):
        excluded.append(positive_data_acceptance)
    case.call_and_validate(excluded_checks=excluded)
