"""``/api/papers/search`` over the search app's ``search()``: Hugging Face's item shape plus
``highlightedTitle`` / ``highlightedSummary``, ``limit`` up to 120. Keyword matches are enough to
check the wire format, so no embedding model is loaded here (search's own tests cover the vectors)."""

from types import SimpleNamespace

import pytest

from dailypapers.papers.models import Paper
from dailypapers.papers.upsert import upsert_papers
from dailypapers.search import api as search_api
from dailypapers.search import live

from .corpus import HOSTILE, MONDAY, feature

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def index_dir(settings, tmp_path):
    """An index of this test's own, empty: every paper is searched as newer than the index."""
    settings.SEARCH_INDEX_DIR = str(tmp_path / "index")
    live.reset()
    yield
    live.reset()


@pytest.fixture
def zorblax(corpus):
    upsert_papers([
        feature(31, MONDAY, 5, title="Zorblax: entropy coding with learned priors",
                abstract="We introduce Zorblax, an entropy coder.", authors=["Dana Boson"]),
        feature(32, MONDAY, 1, title=f"Zorblax and {HOSTILE}", abstract="Compressing checkpoints."),
    ])


def search(client, **params):
    return client.get("/api/papers/search", params)


def test_it_answers_hugging_faces_search_items(client, zorblax):
    response = search(client, q="zorblax")
    assert response.status_code == 200
    items = response.json()
    assert {item["paper"]["id"] for item in items} == {"2603.00031", "2603.00032"}
    first = next(item for item in items if item["paper"]["id"] == "2603.00031")
    assert first["highlightedTitle"] == [{"type": "highlight", "text": "Zorblax"},
                                         {"type": "text", "text": ": entropy coding with learned priors"}]
    assert {"type": "highlight", "text": "Zorblax"} in first["highlightedSummary"]
    assert "".join(s["text"] for s in first["highlightedSummary"]) == "We introduce Zorblax, an entropy coder."


def test_an_item_is_the_daily_item_plus_highlights(client, zorblax):
    item = next(i for i in search(client, q="zorblax").json() if i["paper"]["id"] == "2603.00032")
    highlights = {k: item.pop(k) for k in ("highlightedTitle", "highlightedSummary")}
    assert item.pop("upvoted") is False
    daily = client.get("/api/daily_papers", {"date": "2026-03-02"}).json()
    assert item == next(e for e in daily if e["paper"]["id"] == "2603.00032")
    assert "".join(s["text"] for s in highlights["highlightedTitle"]) == f"Zorblax and {HOSTILE}"


def test_limit_goes_to_120_across_search_pages(client, corpus, monkeypatch):
    """search() answers at most 100 a call: 120 takes two calls, the second after the first's hits."""
    papers = list(Paper.objects.visible().for_cards().order_by("pk"))
    calls = []

    def fake_search(query, *, offset, limit, **kwargs):
        calls.append((offset, limit))
        # 130 matches: the corpus's papers over and over, as many as the page asks for.
        hits = [SimpleNamespace(paper=papers[(offset + i) % len(papers)], highlighted_title=[],
                                highlighted_summary=[]) for i in range(min(limit, 130 - offset))]
        return SimpleNamespace(hits=hits)

    monkeypatch.setattr(search_api, "search", fake_search)
    assert len(search(client, q="anything", limit=120).json()) == 120
    assert calls == [(0, 100), (100, 20)]
    calls.clear()
    assert len(search(client, q="anything").json()) == 50 and calls == [(0, 50)]


@pytest.mark.parametrize("params", [{"q": "x", "limit": "121"}, {"q": "x", "limit": "0"}, {"q": "x" * 1001}])
def test_it_answers_400_in_hugging_faces_shape(client, params):
    response = search(client, **params)
    assert response.status_code == 400 and isinstance(response.json()["error"], str)


def test_no_match_is_an_empty_list_and_hidden_papers_never_match(client, corpus):
    assert search(client, q="nothingmatchesthis").json() == []
    assert search(client, q="moderator").json() == []  # only the hidden paper has the word
    assert search(client, q="").json() == []
