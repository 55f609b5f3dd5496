"""The official client, unchanged, against the site on a live port: every field ``huggingface_hub``
parses into ``PaperInfo`` (see ``PaperInfo.__init__`` in its ``hf_api.py``) must come back typed and
equal to the database's values."""

import datetime as dt

import pytest
from huggingface_hub import HfApi, close_session
from huggingface_hub.errors import HfHubHTTPError

from dailypapers.papers.models import Paper
from dailypapers.papers.upsert import upsert_papers
from dailypapers.search import live

from .corpus import MONDAY, feature

# live_server serves from another thread: the corpus must be committed, hence transactional_db.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hf(live_server, monkeypatch):
    # No token from the environment or a login on this machine may ride along.
    monkeypatch.setenv("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")
    yield HfApi(endpoint=live_server.url, token=False)
    # The client keeps connections alive; a server thread waiting on one would hold its database
    # connection open past the end of the test, and the test database could not be dropped.
    close_session()


def from_db(arxiv_id):
    return Paper.objects.for_cards().get(arxiv_id=arxiv_id)


def midnight(day):
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def assert_matches_db(info, paper):
    """Every attribute PaperInfo sets from a daily item or a flat paper, against the database."""
    submission = getattr(paper, "submission", None)
    assert info.id == paper.arxiv_id
    assert [a.name for a in info.authors or []] == [link.name for link in paper.ordered_authors]
    assert all(a.hidden is False and a.user is None for a in info.authors or [])
    assert info.published_at == (midnight(paper.published) if paper.published else None)
    assert info.title == paper.title
    assert info.summary == paper.abstract
    assert info.upvotes == paper.upvotes and isinstance(info.upvotes, int)
    assert info.comments == paper.num_comments and isinstance(info.comments, int)
    assert info.submitted_at == (submission.submitted_at if submission else None)
    assert (info.submitted_by.username if info.submitted_by else None) == (
        submission.submitter_display if submission and submission.submitter_display else None)
    assert info.ai_keywords == (paper.keywords or None)
    assert info.project_page == (paper.project_page or None)
    assert info.github_repo == (paper.github_repo or None)
    assert info.github_stars == paper.github_stars
    if paper.organization is None:
        assert info.organization is None
    else:
        assert (info.organization.name, info.organization.fullname, info.organization.avatar_url) == (
            paper.organization.slug, paper.organization.name, paper.organization.avatar_url)


def test_list_daily_papers_with_each_parameter(hf, corpus):
    listed = list(hf.list_daily_papers(date="2026-03-02"))
    assert [i.id for i in listed] == ["2603.00001", "2603.00002"]
    for info in listed:
        assert_matches_db(info, from_db(info.id))
    assert [i.id for i in hf.list_daily_papers(week="2026-W10")][:2] == ["2603.00001", "2603.00004"]
    assert [i.id for i in hf.list_daily_papers(month="2026-02")] == ["astro-ph/0601001"]
    assert [i.id for i in hf.list_daily_papers(submitter="alice")] == ["2603.00003"]
    assert [i.id for i in hf.list_daily_papers(date="2026-03-03", sort="publishedAt")] == ["2603.00003",
                                                                                           "2603.00004"]
    trending = [i.id for i in hf.list_daily_papers(week="2026-W10", sort="trending")]
    assert sorted(trending) == sorted(i.id for i in hf.list_daily_papers(week="2026-W10"))
    first, second = (list(hf.list_daily_papers(limit=2, p=page)) for page in (0, 1))
    assert [i.id for i in first + second] == [i.id for i in hf.list_daily_papers()][:4]
    latest = list(hf.list_daily_papers())
    for info in latest:
        assert_matches_db(info, from_db(info.id))


def test_paper_info_and_read_paper(hf, corpus):
    for arxiv_id in ["2603.00001", "2603.00002", "2603.00003", "2603.00007", "astro-ph/0601001"]:
        assert_matches_db(hf.paper_info(arxiv_id), from_db(arxiv_id))
    text = hf.read_paper("2603.00001")
    assert text.startswith("# Paper number 1\n") and "Abstract of paper 1." in text
    with pytest.raises(HfHubHTTPError) as not_found:
        hf.paper_info("2603.09999")
    assert not_found.value.response.status_code == 404
    with pytest.raises(HfHubHTTPError):
        hf.read_paper("2603.09999")


@pytest.fixture
def empty_index(settings, tmp_path):
    """An index of this test's own, empty: every paper is searched as newer than the index."""
    settings.SEARCH_INDEX_DIR = str(tmp_path / "index")
    live.reset()
    yield
    live.reset()


def test_list_papers_searches(hf, corpus, empty_index):
    upsert_papers([feature(31, MONDAY, 5, title="Zorblax: entropy coding", keywords=["entropy coding"]),
                   feature(32, MONDAY, 0, title="Zorblax for checkpoints", abstract="")])
    found = list(hf.list_papers(query="zorblax", limit=5))
    assert {info.id for info in found} == {"2603.00031", "2603.00032"}
    for info in found:
        assert_matches_db(info, from_db(info.id))
        # Beyond PaperInfo's attributes, the client keeps unknown keys as they came.
        assert {"type": "highlight", "text": "Zorblax"} in info.highlightedTitle
    assert len(list(hf.list_papers(query="paper", limit=2))) == 2


def test_a_malformed_date_raises_the_clients_http_error(hf, corpus):
    with pytest.raises(HfHubHTTPError) as bad:
        list(hf.list_daily_papers(date="2026-02-30"))
    assert bad.value.response.status_code == 400
    assert "not a date" in str(bad.value)
