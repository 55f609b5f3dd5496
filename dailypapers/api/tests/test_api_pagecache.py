"""A period's daily papers and a paper's record are kept like pages, and a write refreshes them."""

import datetime as dt

import pytest

from dailypapers.papers.records import PaperRecord
from dailypapers.papers.upsert import upsert_papers

pytestmark = pytest.mark.django_db(transaction=True)  # bumps run on commit

MONDAY = dt.date(2026, 3, 2)


def feature(n, upvotes):
    return PaperRecord(arxiv_id=f"2603.{n:05d}", title=f"Paper {n}", authors=["Alice Quark"], hf_upvotes=upvotes,
                       featured_on=MONDAY, featured_at=dt.datetime.combine(MONDAY, dt.time(4), tzinfo=dt.UTC))


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 600


@pytest.fixture
def corpus():
    upsert_papers([feature(n, n) for n in range(1, 4)])


def hit(response):
    return response.get("X-Page-Cache") == "hit"


@pytest.mark.parametrize("url", ["/api/daily_papers?date=2026-03-02&limit=2", "/api/daily_papers?week=2026-W10",
                                 "/api/papers/2603.00001", "/api/v1/papers/2603.00001"])
def test_an_answer_is_kept_until_a_write_touches_its_papers(client, corpus, url):
    first = client.get(url)
    again = client.get(url)
    assert not hit(first) and hit(again) and again.content == first.content
    assert again["ETag"] == first["ETag"] and again.get("Link") == first.get("Link")
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    upsert_papers([feature(1, 99)])  # a sync brought new votes
    fresh = client.get(url)
    assert not hit(fresh) and b"99" in fresh.content and fresh["ETag"] != first["ETag"]


def test_the_next_page_link_survives_the_cache(client, corpus):
    url = "/api/daily_papers?date=2026-03-02&limit=2"
    client.get(url)
    assert 'p=1' in client.get(url)["Link"]


@pytest.mark.parametrize("url", ["/api/daily_papers", "/api/daily_papers?date=2026-03-02&week=2026-W10",
                                 "/api/papers/search?q=paper"])
def test_answers_without_one_period_or_paper_are_never_kept(client, corpus, url):
    client.get(url)
    assert not hit(client.get(url))


def test_a_caller_with_credentials_is_answered_afresh(client, corpus):
    url = "/api/papers/2603.00001"
    client.get(url)
    assert not hit(client.get(url, HTTP_AUTHORIZATION="Bearer hf_not_ours"))
