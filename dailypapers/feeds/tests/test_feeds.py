"""RSS 2.0 and Atom feeds, read back with feedparser (``bozo == 0``: well-formed and unsurprising)."""

import datetime as dt

import feedparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dailypapers.api.tests.corpus import HOSTILE, MONDAY, feature
from dailypapers.papers.records import OrgRecord
from dailypapers.papers.upsert import upsert_papers
from dailypapers.search import live

pytestmark = pytest.mark.django_db

CONTENT_TYPES = {"rss": "application/rss+xml; charset=utf-8", "atom": "application/atom+xml; charset=utf-8"}
FEEDS = {
    "daily": ["2603.00005", "2603.00003", "2603.00004", "2603.00002", "2603.00001", "astro-ph/0601001"],
    "categories/cs.LG": ["2603.00007", "2603.00001"],
    "organizations/lantern": ["2603.00005", "2603.00001"],
    "authors/charlie-gluon": ["2603.00007", "astro-ph/0601001"],
}


SITE = "https://papers.example.org"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


def parsed(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, (path, feed.get("bozo_exception"))
    return response, feed


def arxiv_ids(feed):
    return [entry.link.removeprefix("https://papers.example.org/papers/") for entry in feed.entries]


@pytest.mark.parametrize("fmt", ["rss", "atom"])
@pytest.mark.parametrize("name", list(FEEDS))
def test_each_feed_is_valid_and_lists_its_papers(client, corpus, name, fmt):
    response, feed = parsed(client, f"/feeds/{name}.{fmt}")
    assert response["Content-Type"] == CONTENT_TYPES[fmt]
    assert feed.version == ("rss20" if fmt == "rss" else "atom10")
    assert arxiv_ids(feed) == FEEDS[name]


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_trending_ranks_featured_papers_only(client, corpus, fmt):
    _, feed = parsed(client, f"/feeds/trending.{fmt}")
    assert sorted(arxiv_ids(feed)) == sorted(FEEDS["daily"])


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_an_item_carries_title_link_authors_date_categories_and_summary(client, corpus, fmt):
    _, feed = parsed(client, f"/feeds/organizations/lantern.{fmt}")
    item = feed.entries[1]
    assert item.title == "Paper number 1"
    assert item.link == "https://papers.example.org/papers/2603.00001"
    assert item.author == "Alice Quark, Bob Lepton, Author 1"
    assert dt.datetime(*item.published_parsed[:6], tzinfo=dt.UTC) == dt.datetime(2026, 3, 2, 4, tzinfo=dt.UTC)
    assert [tag.term for tag in item.tags] == ["cs.LG", "cs.CV"]
    assert "Abstract of paper 1." in item.summary and "https://github.com/alice/lanterns" in item.summary
    assert feed.feed.title == "Daily Papers: Lantern Lab"
    assert feed.feed.link == "https://papers.example.org/organizations/lantern"


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_hostile_text_arrives_as_text(client, corpus, fmt):
    response, feed = parsed(client, f"/feeds/categories/cs.CL.{fmt}")
    assert b"<script>" not in response.content and b"<img" not in response.content
    item = feed.entries[0]
    assert item.title == HOSTILE
    # The summary is HTML to a reader: the hostile text is escaped inside it, not markup.
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; $&lt;$" in item.summary
    assert "<script" not in item.summary and "<img" not in item.summary


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_a_public_collection_feed_dates_items_when_they_were_added(client, collected, fmt):
    _, feed = parsed(client, f"/feeds/collections/alice/lantern-reading.{fmt}")
    assert arxiv_ids(feed) == ["2603.00002", "2603.00001"]  # newest addition first, the hidden one left out
    added = [entry.added_at for entry in collected.items.order_by("-added_at", "-id") if not entry.paper.hidden]
    assert [dt.datetime(*e.published_parsed[:6], tzinfo=dt.UTC) for e in feed.entries] == [
        a.replace(microsecond=0) for a in added]
    assert feed.feed.title == "Daily Papers: Lantern reading, a collection by alice"


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_a_search_feed_lists_the_newest_matches(client, corpus, empty_index, fmt):
    upsert_papers([feature(31, dt.date(2026, 3, 9), 1, title="Zorblax coding"),
                   feature(32, MONDAY, 50, title="Zorblax again", abstract=HOSTILE)])
    response, feed = parsed(client, f"/feeds/search.{fmt}?q=zorblax")
    assert arxiv_ids(feed) == ["2603.00031", "2603.00032"]
    assert feed.feed.link == "https://papers.example.org/search?q=zorblax"
    assert f'/feeds/search.{fmt}?q=zorblax" rel="self"' in response.content.decode()
    _, empty = parsed(client, f"/feeds/search.{fmt}?q=")
    assert empty.entries == []


@pytest.mark.parametrize("path", ["/feeds/organizations/nobody.rss", "/feeds/authors/nobody.atom",
                                  "/feeds/collections/alice/secret-list.rss", "/feeds/daily.xml"])
def test_unknown_feeds_are_404(client, collected, path):
    assert client.get(path).status_code == 404


@pytest.fixture
def empty_index(settings, tmp_path):
    """An index of this test's own, empty: every paper is searched as newer than the index."""
    settings.SEARCH_INDEX_DIR = str(tmp_path / "index")
    live.reset()
    yield
    live.reset()


def test_a_feed_runs_a_constant_number_of_queries(client):
    upsert_papers([feature(n, MONDAY, n, organization=OrgRecord(f"Org {n}")) for n in range(1, 4)])
    with CaptureQueriesContext(connection) as few:
        assert len(parsed(client, "/feeds/daily.rss")[1].entries) == 3
    upsert_papers([feature(n, MONDAY, n, organization=OrgRecord(f"Org {n}")) for n in range(4, 41)])
    with CaptureQueriesContext(connection) as many:
        assert len(parsed(client, "/feeds/daily.atom")[1].entries) == 40
    assert len(many) == len(few) <= 2


@pytest.mark.parametrize(("page", "feeds"), [
    ("/papers/date/2026-03-02", ["/feeds/daily.rss", "/feeds/daily.atom", "/feeds/trending.rss",
                                 "/feeds/trending.atom"]),
    ("/organizations/lantern", ["/feeds/organizations/lantern.rss", "/feeds/organizations/lantern.atom"]),
    ("/authors/charlie-gluon", ["/feeds/authors/charlie-gluon.rss", "/feeds/authors/charlie-gluon.atom"]),
])
def test_pages_advertise_their_feeds(client, corpus, page, feeds):
    html = client.get(page).content.decode()
    head = html.split("</head>", 1)[0]
    for url in feeds:
        kind = "rss" if url.endswith(".rss") else "atom"
        assert f'<link rel="alternate" type="application/{kind}+xml"' in head and f'href="{url}"' in head, url
        parsed(client, url)


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_links_and_guids_are_on_site_url_whatever_the_host_header(client, corpus, settings, fmt):
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]
    plain = client.get(f"/feeds/daily.{fmt}").content
    forged = client.get(f"/feeds/daily.{fmt}", HTTP_HOST="evil.example").content
    assert plain == forged and b"evil" not in forged
    feed = feedparser.parse(forged)
    assert all(entry.id.startswith(f"{SITE}/papers/") for entry in feed.entries)


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_without_site_url_links_use_the_first_allowed_host(client, corpus, settings, fmt):
    settings.SITE_URL = ""
    settings.ALLOWED_HOSTS = ["papers.example.net", "localhost", "testserver"]
    _, feed = parsed(client, f"/feeds/daily.{fmt}")
    assert feed.feed.link == "http://papers.example.net/papers"
    response = client.get(f"/feeds/daily.{fmt}", HTTP_HOST="localhost:9999")
    assert b"9999" not in response.content


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_control_characters_in_a_feed_title_are_dropped(client, corpus, fmt):
    """Issue #18: ``/feeds/categories/%01.rss`` answered 500 (a control character is not XML)."""
    response, feed = parsed(client, f"/feeds/categories/%01cs.LG%7F.{fmt}")
    assert feed.feed.title.endswith(": cs.LG")


def test_each_atom_entry_is_updated_at_its_own_time(client, corpus):
    _, feed = parsed(client, "/feeds/daily.atom")
    updated = [entry.updated for entry in feed.entries]
    assert len(set(updated)) == len(updated)
