"""API answers are kept like pages, each under a topic that every write changing it bumps."""

import datetime as dt
import time

import pytest

from dailypapers.papers import votes
from dailypapers.papers.models import Paper
from dailypapers.papers.records import OrgRecord, PaperRecord
from dailypapers.papers.tests.cached import MONDAY, feature, hit
from dailypapers.papers.upsert import upsert_papers

pytestmark = pytest.mark.django_db(transaction=True)  # bumps run on commit


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 600


@pytest.fixture
def corpus():
    upsert_papers([feature(n, n, org=n == 1) for n in range(1, 4)])


def kept(client, url):
    """The first answer, after checking that asking again is a hit with the same body, ETag and Link."""
    first = client.get(url)
    again = client.get(url)
    assert first.status_code == 200 and not hit(first) and hit(again) and again.content == first.content
    assert again["ETag"] == first["ETag"] and again.get("Link") == first.get("Link")
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    return first


def answered_afresh(client, url, first):
    fresh = client.get(url)
    assert not hit(fresh) and fresh.content != first.content and fresh["ETag"] != first["ETag"]
    return fresh


@pytest.mark.parametrize("url", [
    "/api/daily_papers?date=2026-03-02&limit=2", "/api/daily_papers?week=2026-W10", "/api/daily_papers",
    "/api/papers?limit=3", "/api/papers/2603.00001", "/api/papers/search?q=paper",
    "/api/v1/papers/2603.00001", "/api/v1/papers", "/api/v1/papers?day=2026-03-02&limit=3",
    "/api/v1/papers?month=2026-03&sort=upvotes", "/api/v1/papers?category=cs.LG",
    "/api/v1/papers?organization=acme", "/api/v1/papers?author=alice-quark", "/api/v1/authors/alice-quark",
    "/api/v1/organizations/acme", "/api/v1/search?q=paper",
])
def test_an_answer_is_kept_until_a_write_touches_its_papers(client, corpus, url):
    first = kept(client, url)
    upsert_papers([feature(1, 99, org=True)])  # a sync brought new votes
    assert b"99" in answered_afresh(client, url, first).content or "authors" in url or "organizations" in url


@pytest.mark.parametrize("url", ["/api/v1/days", "/api/v1/organizations", "/api/papers?limit=10"])
def test_lists_of_days_and_organizations_learn_of_new_papers(client, corpus, url):
    first = kept(client, url)
    upsert_papers([feature(7, 1, day=MONDAY + dt.timedelta(days=1), org=True)])
    answered_afresh(client, url, first)


@pytest.mark.parametrize("url", ["/api/v1/papers/2603.00001", "/api/v1/papers?category=cs.LG",
                                 "/api/v1/organizations/acme", "/api/v1/authors/alice-quark"])
def test_a_local_vote_refreshes_lists_and_records(client, corpus, django_user_model, url):
    first = kept(client, url)
    voter = django_user_model.objects.create_user("voter", "voter@example.org", "a long passphrase 9",
                                                  email_verified_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    votes.set_vote(voter, Paper.objects.get(arxiv_id="2603.00001"), True)
    answered_afresh(client, url, first)


@pytest.mark.parametrize("url", ["/api/v1/search?q=paper", "/api/papers/search?q=paper"])
def test_votes_leave_searches_kept_for_at_most_the_search_cache_time(client, corpus, django_user_model, settings,
                                                                    url):
    # Real seconds: a Redis cache expires entries by its own clock, which no test can move.
    settings.SEARCH_CACHE_SECONDS = 4
    first = kept(client, url)
    voter = django_user_model.objects.create_user("voter", "voter@example.org", "a long passphrase 9",
                                                  email_verified_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    votes.set_vote(voter, Paper.objects.get(arxiv_id="2603.00001"), True)
    assert hit(client.get(url))  # a count on a cached search may be up to SEARCH_CACHE_SECONDS old
    time.sleep(4.5)
    answered_afresh(client, url, first)


def test_hiding_a_paper_drops_it_from_kept_searches(client, corpus, django_user_model):
    from dailypapers.community import moderation

    first = kept(client, "/api/v1/search?q=paper")
    moderator = django_user_model.objects.create_user("mod", "mod@example.org", "a long passphrase 9", is_staff=True)
    moderation.set_paper_hidden(Paper.objects.get(arxiv_id="2603.00001"), True, moderator)
    assert b"2603.00001" not in answered_afresh(client, "/api/v1/search?q=paper", first).content


def test_the_next_page_link_survives_the_cache(client, corpus):
    url = "/api/daily_papers?date=2026-03-02&limit=2"
    client.get(url)
    assert 'p=1' in client.get(url)["Link"]


@pytest.mark.parametrize("url", ["/api/daily_papers?date=2026-03-02&week=2026-W10",
                                 "/api/v1/papers?day=2026-03-02&month=2026-03", "/api/v1/collections"])
def test_refusals_and_collections_are_never_kept(client, corpus, url):
    client.get(url)
    assert not hit(client.get(url))


def test_v1_answers_vary_by_credentials(client, corpus):
    first = kept(client, "/api/v1/papers/2603.00001")
    assert "Authorization" in first["Vary"] and "Authorization" in client.get("/api/v1/papers/2603.00001")["Vary"]
    assert client.get("/api/v1/papers/2603.00001", HTTP_AUTHORIZATION="Bearer forged").status_code == 401


@pytest.mark.parametrize("url", ["/api/papers/2603.00001", "/api/papers/search?q=paper", "/api/daily_papers"])
def test_a_caller_with_credentials_is_answered_afresh(client, corpus, url):
    client.get(url)
    assert not hit(client.get(url, HTTP_AUTHORIZATION="Bearer hf_not_ours"))


def test_a_sync_moving_a_paper_refreshes_its_old_organization_and_authors(client, corpus):
    urls = ["/api/v1/organizations/acme", "/api/v1/papers?organization=acme", "/api/v1/authors/alice-quark",
            "/api/v1/papers?author=alice-quark"]
    first = {url: kept(client, url) for url in urls}
    moved = feature(1, 1)
    moved.organization, moved.authors = OrgRecord(name="Borealis Institute", slug="borealis"), ["Bob Lepton"]
    upsert_papers([moved])
    for url in urls:
        assert b"2603.00001" not in answered_afresh(client, url, first[url]).content or "authors/" in url or \
            "organizations/" in url


def test_a_sync_changing_an_organization_refreshes_every_answer_that_shows_it(client, corpus):
    urls = ["/api/v1/papers/2603.00001", "/api/v1/organizations", "/api/daily_papers?date=2026-03-02"]
    first = {url: kept(client, url) for url in urls}
    upsert_papers([PaperRecord(arxiv_id="2603.00099", title="Another", organization=OrgRecord(
        name="Acme Lab", slug="acme", avatar_url="https://example.org/acme-new.png"))])  # a paper of another day
    assert b"acme-new.png" in answered_afresh(client, "/api/v1/papers/2603.00001", first[urls[0]]).content
    assert b"acme-new.png" in answered_afresh(client, "/api/v1/organizations", first[urls[1]]).content
    answered_afresh(client, urls[2], first[urls[2]])


def test_a_vote_refreshes_the_days_a_paper_was_listed_again_on(client, corpus, django_user_model):
    friday = MONDAY + dt.timedelta(days=4)
    upsert_papers([feature(1, 1, day=friday)])  # HF lists paper 1 again on Friday
    url = "/api/v1/papers?day=2026-03-06"
    first = kept(client, url)
    assert b"2603.00001" in first.content
    voter = django_user_model.objects.create_user("voter", "voter@example.org", "a long passphrase 9",
                                                  email_verified_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    votes.set_vote(voter, Paper.objects.get(arxiv_id="2603.00001"), True)
    answered_afresh(client, url, first)


def test_topics_from_any_input_make_valid_cache_keys(client, corpus, settings):
    settings.CACHES = {**settings.CACHES, "shared": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                                     "LOCATION": "strict-keys"}}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Django warns of keys memcached would refuse
        for url in ["/api/v1/papers?organization=a%20b", f"/api/v1/papers?author={'x' * 300}"]:
            assert client.get(url).status_code in (200, 400)
