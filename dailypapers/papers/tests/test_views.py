import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dailypapers.lib import ranking
from dailypapers.papers.models import Paper
from dailypapers.papers.records import OrgRecord, PaperRecord
from dailypapers.papers.upsert import upsert_papers

pytestmark = pytest.mark.django_db

MONDAY, TUESDAY, FRIDAY = dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.date(2026, 3, 6)
HOSTILE = '<script>alert(1)</script> & $<$ "><img src=x onerror=alert(2)>'


def feature(n, day, upvotes=1, hour=4, **fields):
    return PaperRecord(
        arxiv_id=f"2603.{n:05d}", title=fields.pop("title", f"Paper number {n}"),
        abstract=fields.pop("abstract", f"Abstract of paper {n}."),
        authors=fields.pop("authors", ["Alice Quark", "Bob Lepton", "Charlie Gluon", f"Author {n}"]),
        published=day - dt.timedelta(days=1), hf_upvotes=upvotes, featured_on=day,
        featured_at=dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC), **fields,
    )


@pytest.fixture
def corpus():
    upsert_papers([
        feature(1, MONDAY, 50, organization=OrgRecord("Lantern Lab", "lantern"),
                github_repo="https://github.com/alice/lanterns", github_stars=1234, submitted_by="dana"),
        feature(2, MONDAY, 5, title=HOSTILE, abstract=HOSTILE, authors=[HOSTILE, "Bob Lepton"]),
        feature(3, TUESDAY, 9),
        feature(4, TUESDAY, 30, hour=1),
        feature(5, FRIDAY, 2),
    ])


def cards(response):
    return [p.arxiv_id for p in response.context["papers"]]


def test_home_shows_the_latest_feed_day(client, corpus):
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["period"].first == FRIDAY
    assert cards(response) == ["2603.00005"]
    assert client.get("/papers").context["period"].first == FRIDAY


def test_a_day_is_sorted_by_upvotes_then_newest(client, corpus):
    assert cards(client.get("/papers/date/2026-03-03")) == ["2603.00004", "2603.00003"]
    assert cards(client.get("/papers/date/2026-03-03?sort=newest")) == ["2603.00003", "2603.00004"]
    assert cards(client.get("/papers/date/2026-03-03?sort=bogus")) == ["2603.00004", "2603.00003"]


def test_trending_is_computed_in_the_database_like_the_formula(client, corpus):
    response = client.get("/papers/week/2026-W10?sort=trending")
    reference = dt.datetime(2026, 3, 9, tzinfo=dt.UTC)  # the week's end
    papers = Paper.objects.select_related("submission").all()
    expected = sorted(papers, key=lambda p: -ranking.trending_score(
        p.upvotes, (reference - p.submission.submitted_at).total_seconds() / 3600))
    assert cards(response) == [p.arxiv_id for p in expected]
    # Recency matters: paper 5 (2 votes, Friday) outranks paper 3 (9 votes, Tuesday).
    assert cards(response).index("2603.00005") < cards(response).index("2603.00003")


def test_week_and_month_pages_gather_their_days(client, corpus):
    assert set(cards(client.get("/papers/week/2026-W10"))) == {f"2603.0000{n}" for n in range(1, 6)}
    assert cards(client.get("/papers/month/2026-03"))[0] == "2603.00001"
    assert cards(client.get("/papers/month/2026-02")) == []


def test_previous_and_next_skip_days_without_papers(client, corpus):
    nav = client.get("/papers/date/2026-03-03").context["nav"]
    assert nav["prev"]["url"] == "/papers/date/2026-03-02"
    assert nav["next"]["url"] == "/papers/date/2026-03-06"
    body = client.get("/papers/date/2026-03-06").content.decode()
    assert 'rel="prev"' in body and 'href="/papers/date/2026-03-03"' in body


def test_an_empty_weekend_points_to_the_nearest_day_with_papers(client, corpus):
    response = client.get("/papers/date/2026-03-07")
    assert response.status_code == 200
    assert response.context["nearest"]["url"] == "/papers/date/2026-03-06"
    assert "/papers/date/2026-03-06" in response.content.decode()
    assert "No papers" in response.content.decode()


def test_the_date_picker_redirects_to_the_day(client, corpus):
    response = client.get("/papers", {"date": "2026-03-02"})
    assert response.status_code == 302 and response["Location"] == "/papers/date/2026-03-02"


@pytest.mark.parametrize("url", ["/papers/date/2026-02-30", "/papers/week/2026-W60", "/papers/month/2026-00",
                                 "/papers/date/%3Cscript%3E"])
def test_a_malformed_period_is_a_clear_400(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "<script>" not in response.content.decode()


@pytest.mark.parametrize("url", ["/papers/date/9999-12-31", "/papers/week/9999-W52", "/papers/month/0001-01",
                                 "/papers/month/9999-12", "/papers/date/0001-01-01", "/papers/week/0001-W01"])
def test_a_period_outside_the_supported_days_is_a_404(client, url):
    assert client.get(url).status_code == 404
    assert client.get(url, {"sort": "trending"}).status_code == 404


def test_the_first_and_last_supported_periods_show_without_links_beyond(client):
    for url in ("/papers/month/1990-01", "/papers/week/1990-W01", "/papers/date/1990-01-01"):
        assert client.get(url).status_code == 200
    page = client.get("/papers/month/2999-12", {"sort": "trending"})
    assert page.status_code == 200 and page.context["nav"]["next"] is None
    assert client.get("/papers/month/1990-01").context["nav"]["prev"] is None


def test_feed_pages_run_a_constant_number_of_queries(client):
    upsert_papers([feature(n, MONDAY, n, organization=OrgRecord(f"Org {n}")) for n in range(1, 4)])
    with CaptureQueriesContext(connection) as few:
        assert len(cards(client.get("/papers/date/2026-03-02"))) == 3
    upsert_papers([feature(n, MONDAY, n, organization=OrgRecord(f"Org {n}"), github_repo="https://github.com/a/b")
                   for n in range(4, 41)])
    with CaptureQueriesContext(connection) as many:
        assert len(cards(client.get("/papers/date/2026-03-02"))) == 40
    assert len(many) == len(few) <= 8
    with CaptureQueriesContext(connection) as month:
        client.get("/papers/month/2026-03?sort=trending")
    assert len(month) <= 8


def test_hostile_text_renders_as_text(client, corpus):
    for url in ["/papers/date/2026-03-02", "/papers/2603.00002", "/authors/bob-lepton"]:
        body = client.get(url).content.decode()
        assert "<script>alert(1)" not in body and "<img src=x" not in body, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; $&lt;$" in body, url


def test_a_paper_page_shows_what_a_reader_needs(client, corpus):
    response = client.get("/papers/2603.00001")
    body = response.content.decode()
    assert response.status_code == 200
    for text in ["Paper number 1", "Alice Quark", "Bob Lepton", "Charlie Gluon", "Author 1", "Lantern Lab",
                 "https://arxiv.org/abs/2603.00001", "https://arxiv.org/pdf/2603.00001",
                 "https://arxiv.org/html/2603.00001", "https://github.com/alice/lanterns", "dana"]:
        assert text in body, text
    assert 'data-count="50"' in body
    assert 'href="/authors/alice-quark"' in body and 'href="/organizations/lantern"' in body


def test_a_versioned_id_redirects_to_the_paper(client, corpus):
    response = client.get("/papers/2603.00001v2")
    assert response.status_code == 301 and response["Location"] == "/papers/2603.00001"


def test_an_unknown_paper_gets_a_helpful_404(client, corpus):
    response = client.get("/papers/2603.09999")
    assert response.status_code == 404
    assert "https://arxiv.org/abs/2603.09999" in response.content.decode()
    response = client.get("/papers/not-a-paper")
    assert response.status_code == 404
    assert "is not an arXiv id" in response.content.decode()


def test_an_old_style_id_has_a_page(client):
    upsert_papers([PaperRecord(arxiv_id="astro-ph/0601001", title="An old paper", authors=["Erin Gluon"])])
    response = client.get("/papers/astro-ph/0601001")
    assert response.status_code == 200 and "An old paper" in response.content.decode()


def test_organization_and_author_pages_list_papers_newest_first_with_counts(client, corpus):
    upsert_papers([feature(9, TUESDAY, 4, organization=OrgRecord("Lantern Lab"))])
    response = client.get("/organizations/lantern")
    assert response.status_code == 200
    assert cards(response) == ["2603.00009", "2603.00001"]
    assert response.context["page"].paginator.count == 2
    assert response.context["totals"]["upvotes"] == 54
    listing = client.get("/organizations")
    assert [(o.slug, o.paper_count) for o in listing.context["organizations"]] == [("lantern", 2)]
    author = client.get("/authors/bob-lepton")
    assert cards(author) == ["2603.00005", "2603.00009", "2603.00004", "2603.00003", "2603.00002", "2603.00001"]
    assert client.get("/authors/nobody").status_code == 404


def test_an_author_listed_twice_on_a_paper_counts_it_once(client):
    upsert_papers([feature(1, MONDAY, 3, authors=["Wei Wang", "Alice Quark", "Wei Wang"])])
    response = client.get("/authors/wei-wang")
    assert cards(response) == ["2603.00001"]
    assert response.context["totals"]["upvotes"] == 3


def test_hidden_papers_stay_off_the_pages(client, corpus):
    Paper.objects.filter(arxiv_id="2603.00001").update(hidden=True)
    assert "2603.00001" not in cards(client.get("/papers/date/2026-03-02"))
    assert client.get("/papers/2603.00001").status_code == 404


def test_an_empty_site_shows_the_first_syncs_progress(client):
    from django.utils import timezone

    from dailypapers.sources.models import SourceState

    SourceState.objects.create(name="hf", running_since=timezone.now(),
                               checkpoint={"progress": {"done": 3, "total": 22}})
    body = client.get("/").content.decode()
    assert "3 of 22 days" in body and "<progress" in body
    SourceState.objects.filter(name="hf").update(running_since=None, last_error="HTTP 503")
    assert "last attempt to fetch papers failed" in client.get("/").content.decode()


def test_a_cross_listed_paper_says_where_it_comes_from(client, settings):
    settings.ARXIV_CATEGORIES = ["cs.CL"]
    upsert_papers([PaperRecord(arxiv_id="2603.00001", title="Cross", categories=["stat.ML", "cs.CL"]),
                   PaperRecord(arxiv_id="2603.00002", title="Home", categories=["cs.CL", "stat.ML"])])
    assert "Cross-listed from stat.ML" in client.get("/papers/2603.00001").content.decode()
    assert "Cross-listed" not in client.get("/papers/2603.00002").content.decode()
