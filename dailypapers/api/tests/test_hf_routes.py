"""The routes Hugging Face documents beyond the daily list: ``/api/papers`` (cursor paging, newest
arXiv first), ``/api/arxiv/{id}/repos`` and ``Accept: text/markdown`` on the paper page."""

import re

import pytest
from django.db.models import F

from dailypapers.papers.models import Paper

pytestmark = pytest.mark.django_db


def next_link(response):
    match = re.fullmatch(r'<([^>]+)>; rel="next"', response.get("Link", ""))
    return match and match.group(1).removeprefix("http://testserver")


def test_papers_pages_newest_first_with_a_cursor_in_the_link_header(client, corpus):
    newest = Paper.objects.visible().order_by(F("published").desc(nulls_last=True), "-pk")
    everything = [p.arxiv_id for p in newest]
    seen, url = [], "/api/papers?limit=3"
    while url:
        response = client.get(url)
        assert response.status_code == 200
        seen += [item["id"] for item in response.json()]
        url = next_link(response)
    assert seen == everything and len(seen) == 7
    first = client.get("/api/papers?limit=1").json()[0]
    assert first == client.get(f"/api/papers/{first['id']}").json()


@pytest.mark.parametrize("cursor", ["not-one-we-signed", "x" * 301, "a b"])
def test_papers_refuses_a_cursor_it_did_not_issue(client, corpus, cursor):
    response = client.get("/api/papers", {"cursor": cursor})
    assert response.status_code == 400 and isinstance(response.json()["error"], str)


def test_repos_answers_hugging_faces_shape_with_the_papers_code(client, corpus):
    assert client.get("/api/arxiv/2603.00001/repos").json() == {
        "models": [], "datasets": [], "spaces": [], "githubRepo": "https://github.com/alice/lanterns",
        "githubStars": 1234}
    assert client.get("/api/arxiv/astro-ph/0601001/repos").json() == {"models": [], "datasets": [], "spaces": []}
    missing = client.get("/api/arxiv/2603.09999/repos")
    assert missing.status_code == 404 and isinstance(missing.json()["error"], str)


def test_the_paper_page_answers_markdown_to_whoever_asks_for_it(client, corpus):
    markdown = client.get("/papers/2603.00001", HTTP_ACCEPT="text/markdown")
    assert markdown["Content-Type"].startswith("text/markdown")
    assert markdown.content == client.get("/papers/2603.00001.md").content
    assert "Accept" in markdown["Vary"]
    for accept in ("text/html,application/xhtml+xml,*/*;q=0.8", "*/*", None):
        headers = {"HTTP_ACCEPT": accept} if accept else {}
        page = client.get("/papers/2603.00001", **headers)
        assert page["Content-Type"].startswith("text/html") and "Accept" in page["Vary"], accept
    assert client.get("/papers/2603.09999", HTTP_ACCEPT="text/markdown").status_code == 404
