import datetime as dt

import pytest

from dailypapers.accounts.models import User
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.upsert import upsert_papers

from .cached import MONDAY, feature, hit

pytestmark = pytest.mark.django_db(transaction=True)  # bumps run on commit

FRIDAY = dt.date(2026, 3, 6)


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 600


@pytest.fixture
def corpus():
    upsert_papers([feature(1, 5, day=MONDAY), feature(2, 7, day=FRIDAY)])


def test_anonymous_pages_are_served_from_the_cache(client, corpus):
    assert not hit(client.get("/papers/date/2026-03-02"))
    again = client.get("/papers/date/2026-03-02")
    assert hit(again) and 'data-count="5"' in again.content.decode()


def test_a_change_refreshes_exactly_the_pages_that_show_the_paper(client, corpus):
    for url in ["/papers/date/2026-03-02", "/papers/date/2026-03-06", "/papers/week/2026-W10",
                "/papers/2603.00001", "/papers/2603.00002", "/authors/alice-quark"]:
        client.get(url)
    upsert_papers([feature(1, 50, day=MONDAY)])  # e.g. a sync brought new votes
    for url in ["/papers/date/2026-03-02", "/papers/week/2026-W10", "/papers/2603.00001", "/authors/alice-quark"]:
        response = client.get(url)
        assert not hit(response) and 'data-count="50"' in response.content.decode(), url
    for url in ["/papers/date/2026-03-06", "/papers/2603.00002"]:
        assert hit(client.get(url)), url


def test_signed_in_readers_always_get_a_fresh_page(client, corpus):
    client.force_login(User.objects.create_user("alice", "alice@example.org", "pw-for-alice"))
    client.get("/papers/date/2026-03-02")
    assert not hit(client.get("/papers/date/2026-03-02"))


def test_errors_are_not_cached(client, corpus):
    client.get("/papers/2603.09999")
    assert not hit(client.get("/papers/2603.09999"))
    client.get("/papers/date/2026-02-31")
    assert not hit(client.get("/papers/date/2026-02-31"))


def test_a_bulk_write_refreshes_everything(client, corpus):
    client.get("/papers/date/2026-03-06")
    upsert_papers([feature(n, 1, day=MONDAY) for n in range(10, 70)])
    assert not hit(client.get("/papers/date/2026-03-06"))


def test_forms_on_a_cached_page_get_each_readers_own_csrf_token(client, corpus, settings):
    from dailypapers.papers import pagecache

    stored = pagecache._to_stored(_page_with_form())
    assert pagecache.CSRF_MARKER in stored["body"] and b"abc123" not in stored["body"]
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    served = pagecache._from_stored(request, stored).content.decode()
    assert pagecache.CSRF_MARKER.decode() not in served
    assert request.META["CSRF_COOKIE"]  # the reader gets the cookie that matches the token


def _page_with_form():
    from django.http import HttpResponse

    return HttpResponse('<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="abc123">'
                        "</form>")


def test_it_serves_a_stored_page_unchanged_but_for_the_readers_csrf_token(client, corpus):
    import re

    upsert_papers([PaperRecord(arxiv_id="2603.00003", title="Naïve Bayes ▲ über alles", authors=["Zoë Ångström"],
                               featured_on=MONDAY, featured_at=dt.datetime(2026, 3, 2, 4, tzinfo=dt.UTC))])
    fresh = client.get("/papers/date/2026-03-02")
    client.cookies.clear()  # a new reader, without the first one's CSRF cookie
    stored = client.get("/papers/date/2026-03-02")
    assert hit(stored) and not hit(fresh)
    tokens = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
    assert tokens.sub(b"", stored.content) == tokens.sub(b"", fresh.content)
    assert "Naïve Bayes ▲ über alles" in stored.content.decode() and "Zoë Ångström" in stored.content.decode()
    assert set(tokens.findall(stored.content)).isdisjoint(tokens.findall(fresh.content))
    assert stored.cookies["csrftoken"].value  # the cookie that goes with the new token


class Counted:
    """Counts the calls made on a cache (its public methods), passing them on."""

    def __init__(self, cache):
        self.cache, self.calls = cache, []

    def __getattr__(self, name):
        attribute = getattr(self.cache, name)
        if not callable(attribute):
            return attribute

        def call(*args, **kwargs):
            self.calls.append(name)
            return attribute(*args, **kwargs)

        return call


@pytest.mark.parametrize("shared_pages", [False, True], ids=["pages in memory", "pages with the versions"])
@pytest.mark.parametrize("url", ["/papers/date/2026-03-02", "/api/daily_papers?date=2026-03-02"])
def test_a_hit_reads_the_shared_cache_once_besides_the_rate_limit(client, corpus, monkeypatch, settings, url,
                                                                  shared_pages):
    from django.core.cache import caches

    from dailypapers.api import http
    from dailypapers.lib import ratelimit
    from dailypapers.papers import pagecache

    # With CACHE_URL one store holds pages and versions; else pages are in each process's memory.
    pages_store = settings.CACHES["shared"] if shared_pages else {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "test-pages"}
    settings.CACHES = {**settings.CACHES, "default": pages_store}
    first = client.get(url)
    shared, pages = Counted(caches["shared"]), Counted(caches["default"])
    monkeypatch.setattr(pagecache, "_shared", lambda: shared)
    monkeypatch.setattr(pagecache, "_pages", lambda: pages)
    monkeypatch.setattr(http, "_body_changed_at", lambda *args: pytest.fail("a hit asked when its body changed"))
    counted = []
    monkeypatch.setattr(ratelimit, "hit", lambda *args, hit=ratelimit.hit: counted.append(1) or hit(*args))
    again = client.get(url)
    assert hit(again) and again.get("Last-Modified") == first.get("Last-Modified")
    assert shared.calls == ["get_many"] and pages.calls == ([] if shared_pages else ["get"])
    assert len(counted) == (1 if "api" in url else 0)  # an API read also counts against its rate limit


def test_an_api_hit_keeps_the_dates_of_the_answer_it_stored(client, corpus):
    url = "/api/daily_papers?date=2026-03-02"
    first = client.get(url)
    again = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert again.status_code == 304 and again["ETag"] == first["ETag"]
    assert client.get(url)["Last-Modified"] == first["Last-Modified"]
