"""What every public read gets: conditional GET (ETag / Last-Modified, 304), CORS, HEAD and the
anonymous rate limit with its headers."""

import datetime as dt

import pytest
import time_machine
from django.utils.http import http_date

from dailypapers.papers.models import Paper

pytestmark = pytest.mark.django_db

READS = ["/api/daily_papers?date=2026-03-02", "/api/papers/2603.00001", "/api/v1/papers?limit=2",
         "/api/v1/days", "/api/openapi.json", "/papers/2603.00001.md", "/feeds/daily.rss",
         "/feeds/organizations/lantern.atom"]


@pytest.mark.parametrize("url", READS)
def test_a_current_etag_gets_a_304_and_a_changed_body_a_new_etag(client, corpus, url):
    first = client.get(url)
    assert first.status_code == 200 and first["ETag"].startswith('"')
    again = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == first["ETag"]
    if url != "/api/openapi.json":
        Paper.objects.update(title="Renamed")
        Paper.objects.filter(arxiv_id="2603.00002").update(hidden=True)  # the days list counts papers
        changed = client.get(url, headers={"If-None-Match": first["ETag"]})
        assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def test_a_paged_list_keeps_its_etag_from_one_second_to_the_next(client, corpus):
    url = "/api/v1/papers?limit=2"
    with time_machine.travel(dt.datetime(2026, 3, 3, 12, 0, 0, 900_000, tzinfo=dt.UTC), tick=False) as clock:
        first = client.get(url)
        assert first.json()["next_cursor"]  # a page with a next one: its body holds a signed cursor
        clock.shift(dt.timedelta(seconds=1))
        again = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304


def test_last_modified_is_when_the_body_last_changed(client, corpus):
    url = "/api/v1/papers/2603.00001"
    with time_machine.travel(1_800_000_000, tick=False) as clock:
        first = client.get(url)
        assert first["Last-Modified"] == http_date(1_800_000_000)
        clock.shift(100)
        same = client.get(url, headers={"If-Modified-Since": first["Last-Modified"]})
        assert same.status_code == 304  # unchanged body: still the first time it was seen
        Paper.objects.filter(arxiv_id="2603.00001").update(hf_upvotes=51)  # no updated_at change: hash tells
        changed = client.get(url, headers={"If-Modified-Since": first["Last-Modified"]})
    assert changed.status_code == 200 and changed["Last-Modified"] == http_date(1_800_000_100)


def test_errors_are_never_cached_as_current(client, corpus):
    response = client.get("/api/papers/2603.09999")
    assert response.status_code == 404 and "ETag" not in response


@pytest.mark.parametrize("url", READS + ["/api/papers/2603.09999"])
def test_reads_are_open_to_any_origin(client, corpus, url):
    response = client.get(url, headers={"Origin": "https://reader.example"})
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response["Access-Control-Expose-Headers"] and "Link" in response["Access-Control-Expose-Headers"]


def test_a_preflight_allows_reads_only(client):
    response = client.options("/api/v1/papers", headers={
        "Origin": "https://reader.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "if-none-match"})
    assert response.status_code == 204
    assert response["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert "If-None-Match" in response["Access-Control-Allow-Headers"]


@pytest.mark.parametrize("url", ["/api/v1/papers?limit=2", "/papers/2603.00001.md", "/feeds/daily.atom"])
def test_head_answers_like_get_without_a_body(client, corpus, url):
    get = client.get(url)
    head = client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head["ETag"] == get["ETag"] and head["Content-Length"] == str(len(get.content))


def test_the_anonymous_limit_answers_429_with_retry_after_in_each_shape(client, settings):
    settings.API_RATE_LIMIT = 3
    for remaining in (2, 1, 0):
        response = client.get("/api/v1/days")
        assert response.status_code == 200 and response["RateLimit-Remaining"] == str(remaining)
        assert response["RateLimit-Limit"] == "3"
    refused = client.get("/api/v1/days")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == int(refused["RateLimit-Reset"]) > 0
    assert refused.json()["error"]["code"] == "rate_limited"
    assert client.get("/api/daily_papers").json()["error"].startswith("Too many requests")
    assert client.get("/papers/2603.00001.md").status_code == 429
    # Feeds count in a bucket of their own: a busy API client does not starve its feed reader.
    assert client.get("/feeds/daily.rss").status_code == 200


def test_the_limit_is_per_client_address(client, settings):
    settings.API_RATE_LIMIT = 1
    assert client.get("/api/v1/days", REMOTE_ADDR="10.0.0.1").status_code == 200
    assert client.get("/api/v1/days", REMOTE_ADDR="10.0.0.1").status_code == 429
    assert client.get("/api/v1/days", REMOTE_ADDR="10.0.0.2").status_code == 200
