import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dailypapers.papers.upsert import upsert_papers

from .conftest import record
from .test_search import HOSTILE

pytestmark = pytest.mark.django_db


def cards(response):
    return [hit.paper.arxiv_id for hit in response.context["hits"]]


def test_papers_with_q_is_the_search_page_with_highlights(client, embedded):
    response = client.get("/papers", {"q": "zorblax"})
    assert response.status_code == 200
    assert response.templates[0].name == "search/results.html"
    assert cards(response)[0] == "2603.00003"
    body = response.content.decode()
    assert "<mark>Zorblax</mark>" in body
    assert 'class="site-search"' in body and 'value="zorblax"' in body


def test_every_hostile_query_answers_200(client, embedded):
    for query in HOSTILE:
        for params in ({"q": query}, {"q": query, "page": "x", "sort": query, "from": query, "cat": query}):
            response = client.get("/papers", params)
            assert response.status_code == 200, (query, params)


def test_titles_and_abstracts_are_escaped(client, embedded):
    upsert_papers([record(9, "<script>alert(1)</script> & zorblax $<$", "<img src=x onerror=alert(2)> zorblax")])
    body = client.get("/papers", {"q": "zorblax"}).content.decode()
    assert "<script>alert(1)" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; <mark>zorblax</mark>" in body


def test_an_arxiv_id_or_url_opens_the_paper(client, corpus):
    response = client.get("/papers", {"q": "https://arxiv.org/abs/2603.00002v2"})
    assert response.status_code == 302 and response["Location"] == "/papers/2603.00002"
    # Unknown: the paper page explains it is not here yet and links to arXiv.
    response = client.get("/papers", {"q": "2604.99999"}, follow=True)
    assert response.status_code == 404 and "arxiv.org/abs/2604.99999" in response.content.decode()


def test_pages_keep_the_query_filters_and_sort(client, embedded, settings):
    settings.SEARCH_PAGE_SIZE = 2
    response = client.get("/papers", {"q": "learned", "sort": "newest", "cat": "", "code": ""})
    links = response.context["page_links"]
    assert links["next"] == "?q=learned&sort=newest&page=2"
    second = client.get("/papers" + links["next"])
    assert not set(cards(second)) & set(cards(response))
    last = client.get("/papers", {"q": "learned", "page": "999"})
    assert last.context["page"].number == last.context["page"].paginator.num_pages


def test_filters_from_the_form(client, embedded):
    response = client.get("/papers", {"q": "robot", "code": "1"})
    assert cards(response) == ["2603.00002"]
    response = client.get("/papers", {"q": "languages", "date": "featured", "from": "2026-03-03"})
    assert cards(response) == ["2603.00006"]


def test_search_runs_a_constant_number_of_queries(client, embedded):
    client.get("/papers", {"q": "learned"})  # warm the caches
    with CaptureQueriesContext(connection) as few:
        client.get("/papers", {"q": "learned", "sort": "relevance"})
    upsert_papers([record(n, f"Learned thing {n}", "learned abstract") for n in range(20, 30)])
    client.get("/papers", {"q": "learned"})
    with CaptureQueriesContext(connection) as many:
        client.get("/papers", {"q": "learned", "sort": "relevance"})
    assert len(many) == len(few)


def test_the_paper_page_shows_similar_papers(client, embedded):
    body = client.get("/papers/2603.00006").content.decode()
    assert 'id="similar-heading"' in body
    assert 'data-arxiv-id="2603.00005"' in body.split('id="similar-heading"')[1]


def test_empty_search_page_explains_the_syntax(client, db):
    response = client.get("/search")
    assert response.status_code == 200 and "author:" in response.content.decode()
