"""``/api/v1/search``. Until the project's NinjaAPI attaches the router, the tests mount it themselves."""

import pytest
from django.urls import Resolver404, include, path, resolve
from ninja import NinjaAPI

from dailypapers.api.v1_search import router

from .test_search import HOSTILE

pytestmark = pytest.mark.django_db


def _attached():
    try:
        return resolve("/api/v1/search").url_name == "search_papers"
    except Resolver404:
        return False


if not _attached():
    _api = NinjaAPI(urls_namespace="search_api_test", docs_url=None)
    _api.add_router("/v1/search", router)
    urlpatterns = [path("api/", _api.urls), path("", include("dailypapers.urls"))]


@pytest.fixture
def api_client(client, settings):
    if not _attached():
        settings.ROOT_URLCONF = __name__
    return client


def test_it_answers_a_page_with_highlights_and_papers(api_client, embedded):
    body = api_client.get("/api/v1/search", {"q": "zorblax", "limit": 2}).json()
    assert body["total"] >= 1 and body["items"][0]["paper"]["id"] == "2603.00003"
    assert {"type": "highlight", "text": "Zorblax"} in body["items"][0]["highlighted_title"]
    assert "keyword" in body["items"][0]["matched"]


def test_it_pages_with_offsets_and_filters(api_client, embedded):
    first = api_client.get("/api/v1/search", {"q": "learned", "limit": 2}).json()
    second = api_client.get("/api/v1/search", {"q": "learned", "limit": 2, "offset": first["next_offset"]}).json()
    assert not {i["paper"]["id"] for i in first["items"]} & {i["paper"]["id"] for i in second["items"]}
    coded = api_client.get("/api/v1/search", {"q": "robot", "code": "true"}).json()
    assert [i["paper"]["id"] for i in coded["items"]] == ["2603.00002"]


def test_it_answers_200_to_hostile_text_and_400_to_bad_parameters(api_client, embedded):
    for query in HOSTILE:
        assert api_client.get("/api/v1/search", {"q": query}).status_code == 200
    assert api_client.get("/api/v1/search", {"q": "x", "limit": 1000}).status_code in (400, 422)
    assert api_client.get("/api/v1/search", {"q": "x", "from": "yesterday"}).status_code in (400, 422)


def test_it_refuses_a_forged_token_as_documented(api_client, embedded):
    response = api_client.get("/api/v1/search", {"q": "graph"}, HTTP_AUTHORIZATION="Bearer dp_forged")
    assert response.status_code == 401 and response.json()["error"]["code"]
    documented = api_client.get("/api/openapi.json").json()["paths"]["/api/v1/search"]["get"]["responses"]
    assert {"401", "403"} <= set(documented)
