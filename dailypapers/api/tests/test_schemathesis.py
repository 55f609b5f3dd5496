"""schemathesis against the API's OpenAPI, ``/api/v1`` and the Hugging Face-compatible routes:
generated requests (valid and not) to every operation; no 5xx, and every response — errors
included — matches the schema documented for it.

Every operation is called without a token (a write then answers 401, as documented); the writes (and
the comments list beside them) again with a live token, half of them on a paper that exists so that
their successful answers are checked too.

Bounded for CI: a fixed number of examples per operation, derandomized so a run repeats exactly.
"""

import zlib

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from dailypapers.accounts.models import ApiToken, hash_token
from dailypapers.api.api import api
from dailypapers.community import submit

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 30
# A cursor must be one we signed, which no pattern can say: a well-formed but forged one is a 400, so
# for requests carrying one "schema-valid data is accepted" does not hold; every other check still
# runs on them. Days, weeks and months are described whole (queries.py): nothing valid is refused.
SEMANTIC_PARAMS = {"cursor"}
# At most one of these may be given (a 400 says so); OpenAPI cannot say "one of" for query parameters.
ONE_OF_PARAMS = {"day", "date", "week", "month"}


def accepts_all_valid_data(case):
    """Whether "schema-valid data is accepted" applies to this request (see the two sets above)."""
    names = set(case.query or {})
    return not (SEMANTIC_PARAMS & names) and len(ONE_OF_PARAMS & names) < 2


# Built at collection straight from the API object (no request, so no rate limit to meet), then called
# through the WSGI app.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema()).include(path_regex=r"^/api/v1/")
schema.app = get_wsgi_application()
# A token of our own making, given to schemathesis as the bearer scheme's credential: it then sends it
# with the requests it means as valid and knows that one without it is meant to fail.
TOKEN = "dp_schemathesis-token-made-for-this-test"
with_token = SchemathesisConfig.from_dict({"auth": {"openapi": {"TokenAuth": {"bearer": TOKEN}}}})
writes = schemathesis.openapi.from_dict(api.get_openapi_schema(), config=with_token).include(tag="v1 writes")
writes.app = schema.app
# The Hugging Face-compatible routes: every path under /api/ but /api/v1/.
hf_routes = schemathesis.openapi.from_dict(api.get_openapi_schema()).include(path_regex=r"^/api/(?!v1/)")
hf_routes.app = schema.app
# Which text names an arXiv paper is beyond a pattern: schema-valid text is mostly a 400 invalid_id.
FREE_TEXT_OPERATIONS = {"/api/v1/submissions"}
EXISTING_PAPER = "2603.00001"


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


class NoPapersOnArxiv:
    """Stands in for arXiv in submissions: it knows no paper (a 404), and the test stays offline."""

    def lookup(self, ids):
        return []


@pytest.fixture
def token(alice, settings, monkeypatch):
    """``TOKEN`` made live for alice, confirmed; the token and per-action limits out of the way."""
    settings.API_TOKEN_RATE_LIMIT = 1_000_000
    settings.RATE_LIMITS = {bucket: (1_000_000, window) for bucket, (_, window) in settings.RATE_LIMITS.items()}
    monkeypatch.setattr(submit, "default_api", NoPapersOnArxiv)
    alice.email_verified_at = alice.date_joined
    alice.save(update_fields=["email_verified_at"])
    ApiToken.objects.create(user=alice, name="schemathesis", prefix=TOKEN[:10], token_hash=hash_token(TOKEN))


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_v1_answers_as_documented(case, corpus, app_under_test):
    excluded = []
    if not accepts_all_valid_data(case):
        excluded.append(positive_data_acceptance)
    case.call_and_validate(excluded_checks=excluded)


@writes.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
@pytest.mark.usefixtures("token")
def test_v1_writes_with_a_token_answer_as_documented(case, corpus, app_under_test):
    # A generated id is almost never a paper, nor a slug one of alice's collections: half the cases (a
    # stable choice) aim at a paper that is, and the valid ones among those at her reading list.
    if case.path_parameters and zlib.crc32(repr((case.path_parameters, case.body, case.query)).encode()) % 2:
        case.path_parameters = {**case.path_parameters, "arxiv_id": EXISTING_PAPER}
        if case.meta.generation.mode.is_positive and case.query:
            case.query = {k: v for k, v in case.query.items() if k != "collection"}
    excluded = [positive_data_acceptance] if case.operation.path in FREE_TEXT_OPERATIONS else []
    response = case.call_and_validate(excluded_checks=excluded)
    if case.meta.generation.mode.is_positive:
        assert response.status_code != 401, response.text  # the configured token was sent and accepted


@hf_routes.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
@pytest.mark.parametrize("with_token", [False, True], ids=["anonymous", "token"])
def test_hugging_face_routes_answer_as_documented(case, corpus, app_under_test, token, with_token):
    """Anonymous, and with a live token (which these routes accept and ignore, as HF's client sends one)."""
    excluded = [] if accepts_all_valid_data(case) else [positive_data_acceptance]
    headers = {"Authorization": f"Bearer {TOKEN}"} if with_token else {}
    case.call_and_validate(headers=headers, excluded_checks=excluded)
