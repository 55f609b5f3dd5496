"""``/api/v1``: papers with filters, sorts and cursors; a paper; feed days; organizations; authors;
one error shape."""

import datetime as dt
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dailypapers.papers.models import Paper
from dailypapers.papers.records import OrgRecord
from dailypapers.papers.upsert import upsert_papers

from .. import cursors
from .corpus import MONDAY, TUESDAY, feature

pytestmark = pytest.mark.django_db

FEATURED = ["2603.00001", "2603.00002", "2603.00003", "2603.00004", "2603.00005", "astro-ph/0601001"]


def items(response):
    assert response.status_code == 200, response.content
    return items_of(response.json())


def items_of(body):
    return [item["id"] for item in body["items"]]


def papers(client, **params):
    return client.get("/api/v1/papers", params)


def walk(client, path, **params):
    """Every item of a cursor-paged list, following next_cursor; and the number of pages."""
    seen, pages, cursor = [], 0, None
    while True:
        body = client.get(path, params | ({"cursor": cursor} if cursor else {})).json()
        seen += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages


def test_it_filters_papers_by_period_category_organization_author_and_submitter(client, corpus):
    assert items(papers(client, day="2026-03-02", sort="upvotes")) == ["2603.00001", "2603.00002"]
    assert set(items(papers(client, week="2026-W10"))) == set(FEATURED) - {"astro-ph/0601001"}
    assert items(papers(client, month="2026-02")) == ["astro-ph/0601001"]
    assert set(items(papers(client, category="cs.CV"))) == {"2603.00001", "2603.00003"}
    assert set(items(papers(client, category="cs.LG"))) == {"2603.00001", "2603.00007"}
    assert set(items(papers(client, organization="lantern"))) == {"2603.00001", "2603.00005"}
    assert items(papers(client, author="charlie-gluon")) == ["2603.00007", "astro-ph/0601001"]
    assert items(papers(client, submitter="alice")) == ["2603.00003"]
    assert items(papers(client, organization="lantern", day="2026-03-06")) == ["2603.00005"]
    assert items(papers(client, organization="nobody")) == []


def test_the_hidden_paper_never_shows(client, corpus):
    everything, _ = walk(client, "/api/v1/papers", limit=100)
    assert {p["id"] for p in everything} == set(FEATURED) | {"2603.00007"}
    assert client.get("/api/v1/papers/2603.00008").status_code == 404


@pytest.mark.parametrize("sort", ["newest", "upvotes", "trending"])
def test_cursors_walk_every_paper_once_in_order(client, corpus, sort):
    whole = items(papers(client, sort=sort, limit=100))
    paged, pages = walk(client, "/api/v1/papers", sort=sort, limit=2)
    assert [p["id"] for p in paged] == whole and pages == 4
    assert len(whole) == 7


def test_sorts_order_as_documented(client, corpus):
    by_votes = items(papers(client, sort="upvotes"))
    assert by_votes[:3] == ["2603.00001", "2603.00004", "2603.00003"]  # 52, 30, 9 votes
    newest = items(papers(client, sort="newest"))
    assert newest[0] == "2603.00005" and newest[-1] == "astro-ph/0601001"
    trending = items(papers(client, sort="trending", week="2026-W10"))
    assert trending.index("2603.00005") < trending.index("2603.00003")  # 2 fresh votes beat 9 older ones
    assert items(papers(client, sort="trending"))[-1] == "2603.00007"  # never featured: no trend


def test_a_paper_arriving_between_pages_is_neither_repeated_nor_skipped(client, corpus):
    first = papers(client, sort="newest", limit=3).json()
    upsert_papers([feature(9, dt.date(2026, 3, 9), 1)])  # newer than everything: lands before page 1
    second = papers(client, sort="newest", limit=3, cursor=first["next_cursor"]).json()
    seen = [p["id"] for p in first["items"] + second["items"]]
    # Page numbers would have shown page 1's last paper again as page 2's first.
    assert len(seen) == len(set(seen)) == 6 and "2603.00009" not in seen


def test_a_trending_cursor_keeps_ranking_at_the_first_pages_instant(client, corpus):
    first = papers(client, sort="trending", limit=3).json()
    second_before = papers(client, sort="trending", limit=3, cursor=first["next_cursor"]).json()
    assert "astro-ph/0601001" in [p["id"] for p in second_before["items"]]
    Paper.objects.filter(arxiv_id="astro-ph/0601001").update(hf_upvotes=1_000_000)  # now trends to the top
    assert items(papers(client, sort="trending"))[0] == "astro-ph/0601001"
    second_after = papers(client, sort="trending", limit=3, cursor=first["next_cursor"]).json()
    # Page 2 continues page 1's ranking: the climber is now above the cursor, like a paper posted later.
    assert "astro-ph/0601001" not in items_of(second_after)
    assert items_of(second_after)[:2] == [i for i in items_of(second_before) if i != "astro-ph/0601001"]
    reference = cursors.decode(first["next_cursor"], "papers:trending", 3)[0]
    assert cursors.decode(second_before["next_cursor"], "papers:trending", 3)[0] == reference
    assert abs(reference - time.time()) < 60


def test_a_paper_has_everything_the_site_knows(client, corpus):
    body = client.get("/api/v1/papers/2603.00001v2").json()
    paper = corpus["2603.00001"]
    assert body["id"] == "2603.00001" and body["version"] == paper.version
    assert [a["slug"] for a in body["authors"]] == ["alice-quark", "bob-lepton", "author-1"]
    assert body["authors"][0]["url"] == "http://testserver/authors/alice-quark"
    assert body["categories"] == ["cs.LG", "cs.CV"] and body["keywords"] == ["light routing", "lanterns"]
    assert (body["upvotes"], body["num_comments"]) == (52, 3)
    assert body["github_repo"] == "https://github.com/alice/lanterns" and body["github_stars"] == 1234
    assert body["organization"] == {"slug": "lantern", "name": "Lantern Lab",
                                    "avatar_url": "https://example.org/lantern.png",
                                    "url": "http://testserver/organizations/lantern"}
    assert body["featured"] == {"day": "2026-03-02", "submitted_at": "2026-03-02T04:00:00Z", "submitter": "dana"}
    assert body["published"] == "2026-03-01" and body["doi"] is None and body["withdrawn"] is False
    assert body["versions"] == [{"version": 1, "announced": "2026-03-01"}]
    assert body["urls"]["markdown"] == "http://testserver/papers/2603.00001.md"
    assert body["urls"]["api"] == "http://testserver/api/v1/papers/2603.00001"
    assert body["urls"]["pdf"] == "https://arxiv.org/pdf/2603.00001"
    assert client.get("/api/v1/papers/2603.00007").json()["featured"] is None
    assert client.get("/api/v1/papers/astro-ph/0601001").json()["title"] == "An old-style paper"


def test_feed_days_newest_first_with_counts(client, corpus):
    days, pages = walk(client, "/api/v1/days", limit=2)
    assert [(d["date"], d["papers"]) for d in days] == [
        ("2026-03-06", 1), ("2026-03-03", 2), ("2026-03-02", 2), ("2026-02-27", 1)]  # the hidden one not counted
    assert pages == 2
    assert days[0]["url"] == "http://testserver/api/v1/papers?day=2026-03-06"
    assert days[0]["page"] == "http://testserver/papers/date/2026-03-06"


def test_organizations_and_authors(client, corpus):
    upsert_papers([feature(20 + n, TUESDAY, 1, organization=OrgRecord(f"Org {n}")) for n in range(3)])
    orgs, pages = walk(client, "/api/v1/organizations", limit=2)
    assert [(o["slug"], o["paper_count"]) for o in orgs] == [("lantern", 2), ("org-2", 1), ("org-1", 1),
                                                             ("org-0", 1)]
    assert pages == 2
    org = client.get("/api/v1/organizations/lantern").json()
    assert (org["paper_count"], org["upvotes"]) == (2, 54)
    assert org["papers_url"] == "http://testserver/api/v1/papers?organization=lantern"
    author = client.get("/api/v1/authors/bob-lepton").json()
    assert (author["name"], author["paper_count"]) == ("Bob Lepton", 8)
    assert client.get("/api/v1/organizations/nobody").status_code == 404
    assert client.get("/api/v1/authors/nobody").status_code == 404


def test_public_collections_only(client, collected):
    listed, _ = walk(client, "/api/v1/collections", limit=1)
    assert sorted((c["owner"], c["slug"]) for c in listed) == [("alice", "lantern-reading"), ("bob", "bobs-picks")]
    assert [c["slug"] for c in client.get("/api/v1/collections", {"owner": "bob"}).json()["items"]] == ["bobs-picks"]
    lantern = next(c for c in listed if c["slug"] == "lantern-reading")
    assert lantern["paper_count"] == 2  # the hidden paper does not count
    assert lantern["description"] == "Light & <routing>"
    assert lantern["url"] == "http://testserver/users/alice/collections/lantern-reading"
    assert lantern["feed_url"] == "http://testserver/feeds/collections/alice/lantern-reading.rss"
    assert client.get(lantern["api_url"]).status_code == 200


def test_a_collection_lists_its_visible_papers_newest_addition_first(client, collected):
    body = client.get("/api/v1/collections/alice/lantern-reading").json()
    assert [e["paper"]["id"] for e in body["entries"]] == ["2603.00002", "2603.00001"]
    assert body["entries"][0]["paper"]["title"] == corpus_title("2603.00002")
    first = client.get("/api/v1/collections/alice/lantern-reading", {"limit": 1}).json()
    second = client.get("/api/v1/collections/alice/lantern-reading",
                        {"limit": 1, "cursor": first["next_cursor"]}).json()
    assert [e["paper"]["id"] for e in first["entries"] + second["entries"]] == ["2603.00002", "2603.00001"]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("url", ["/api/v1/collections/alice/secret-list", "/api/v1/collections/alice/nothing",
                                 "/api/v1/collections/nobody/lantern-reading"])
def test_a_private_collection_is_as_unknown_as_a_missing_one(client, collected, url):
    response = client.get(url)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def corpus_title(arxiv_id):
    return Paper.objects.get(arxiv_id=arxiv_id).title


@pytest.mark.parametrize("url", [
    "/api/v1/papers?day=2026-02-30", "/api/v1/papers?day=2026-03-02&week=2026-W10", "/api/v1/papers?limit=0",
    "/api/v1/papers?limit=101", "/api/v1/papers?sort=random", "/api/v1/papers?category=%3Cscript%3E",
    "/api/v1/papers?cursor=forged", "/api/v1/organizations/a%20b", "/api/v1/days?limit=1000",
])
def test_bad_requests_get_the_one_error_shape(client, url):
    response = client.get(url)
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error) == {"code", "message"} and error["code"] in ("invalid_request", "invalid_cursor")


def test_a_cursor_from_another_list_is_refused(client, corpus):
    days_cursor = client.get("/api/v1/days", {"limit": 1}).json()["next_cursor"]
    response = papers(client, cursor=days_cursor)
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_cursor"
    upvotes_cursor = papers(client, sort="upvotes", limit=1).json()["next_cursor"]
    assert papers(client, sort="newest", cursor=upvotes_cursor).status_code == 400


@pytest.mark.parametrize("url", ["/api/v1/papers/2603.09999", "/api/v1/papers/not-an-id", "/api/v1/nothing/here"])
def test_not_found_gets_the_one_error_shape(client, url):
    response = client.get(url)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_a_write_method_is_refused_in_the_error_shape(client, corpus):
    response = client.post("/api/v1/papers", {})
    assert response.status_code == 405 and response["Allow"] == "GET"
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_the_papers_list_runs_a_constant_number_of_queries(client):
    upsert_papers([feature(n, MONDAY, n, organization=OrgRecord(f"Org {n}")) for n in range(1, 4)])
    with CaptureQueriesContext(connection) as few:
        assert len(items(papers(client, limit=100))) == 3
    upsert_papers([feature(n, MONDAY, n, organization=OrgRecord(f"Org {n}")) for n in range(4, 41)])
    with CaptureQueriesContext(connection) as many:
        assert len(items(papers(client, limit=100, sort="trending"))) == 40
    assert len(many) == len(few) <= 2


def test_the_openapi_schema_documents_v1_and_the_hugging_face_endpoints(client):
    schema = client.get("/api/openapi.json").json()
    for path in ["/api/v1/papers", "/api/v1/papers/{arxiv_id}", "/api/v1/days", "/api/v1/organizations",
                 "/api/v1/organizations/{slug}", "/api/v1/authors/{slug}", "/api/v1/collections",
                 "/api/v1/collections/{username}/{slug}", "/api/v1/search", "/api/daily_papers",
                 "/api/papers/search", "/api/papers/{arxiv_id}"]:
        assert path in schema["paths"], path
    responses = schema["paths"]["/api/v1/papers"]["get"]["responses"]
    assert set(responses) == {"200", "400", "401", "403", "404", "429"}  # 401/403: a token sent must be live
    assert schema["components"]["schemas"]["PaperOut"]["additionalProperties"] is False
    assert client.get("/api/docs").status_code == 200


@pytest.mark.parametrize("query", ["week=9999-W52&sort=trending", "day=9999-12-31&sort=trending", "month=9999-12",
                                   "week=9999-W52"])
def test_the_calendars_far_ends_are_a_400_not_a_500(client, query):
    """Issue #18: ``/api/v1/papers?week=9999-W52&sort=trending`` answered 500."""
    response = client.get(f"/api/v1/papers?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"
