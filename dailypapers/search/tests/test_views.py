import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dailypapers.papers import votes
from dailypapers.papers.models import Paper
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


def test_hits_are_paper_cards_with_an_upvote_button_and_the_card_byline(client, embedded, django_user_model):
    upsert_papers([record(9, "Zorblax at scale", "More zorblax.", authors=[f"Author {n}" for n in range(1, 6)])])
    reader = django_user_model.objects.create_user("reader", "reader@example.com", "a long passphrase 9")
    votes.set_vote(reader, Paper.objects.get(arxiv_id="2603.00009"), True)
    client.force_login(reader)
    body = client.get("/papers", {"q": "zorblax"}).content.decode()
    card = body.split('data-arxiv-id="2603.00009"')[1].split("</article>")[0]
    # The byline of every card of the site: the first three names and the count, not all five.
    assert "Author 3" in card and "Author 4" not in card and "· 5 authors" in card
    assert 'action="/papers/2603.00009/upvote"' in card and 'aria-pressed="true"' in card
    assert "<mark>Zorblax</mark>" in card and "matches your words" in card
    assert 'href="/papers/date/2026-03-02"' in card  # the day it was featured
    other = body.split('data-arxiv-id="2603.00003"')[1].split("</article>")[0]
    assert 'aria-pressed="false"' in other


def test_the_json_outputs_still_list_every_author(client, embedded):
    upsert_papers([record(9, "Zorblax at scale", "More zorblax.", authors=[f"Author {n}" for n in range(1, 6)])])
    items = client.get("/api/v1/search", {"q": "zorblax"}).json()["items"]
    paper = next(item["paper"] for item in items if item["paper"]["id"] == "2603.00009")
    assert [a["name"] for a in paper["authors"]] == [f"Author {n}" for n in range(1, 6)]
    hf = client.get("/api/papers/search", {"q": "zorblax"}).json()
    paper = next(hit["paper"] for hit in hf if hit["paper"]["id"] == "2603.00009")
    assert len(paper["authors"]) == 5


def test_while_papers_wait_for_vectors_the_page_says_how_far_meaning_search_is(client, corpus):
    from dailypapers.search import jobs, progress

    jobs.embed_pending(limit=2)
    progress.reset()
    page = client.get("/papers", {"q": "robot grasping"}).content.decode()
    assert re.search(r"Meaning search: 2 of 6 papers, about \d+ min", page)
    jobs.embed_pending()
    progress.reset()
    assert "Meaning search:" not in client.get("/papers", {"q": "robot grasping"}).content.decode()


def test_progress_estimates_the_time_left_from_the_recent_rate():
    from dailypapers.search.progress import Progress

    assert str(Progress(4210, 9877, 31.5)) == "meaning search: 4,210 of 9,877 papers, about 3 min"
    assert Progress(10, 10, 0).minutes_left is None and Progress(10, 10, 0).complete
    assert str(Progress(0, 9877, 0)) == "meaning search: 0 of 9,877 papers"  # nothing moved lately: no guess
