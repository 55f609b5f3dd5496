"""The official client, unchanged, against the site on a live port: every field ``huggingface_hub``
parses into ``PaperInfo`` (see ``PaperInfo.__init__`` in its ``hf_api.py``) must come back typed and
equal to the database's values."""

import copy
import datetime as dt
import io

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


def assert_matches_db(info, paper, listing=True):
    """Every attribute PaperInfo sets, against the database, read as the client reads Hugging Face's
    shapes: from a listing (daily or search item) it takes ``ai_keywords``, the links and the stars from
    the top level, where Hugging Face sends none, and names the submitter from ``submittedBy``, which
    carries ``name`` (not the ``user`` the client reads); from ``/api/papers/{id}`` it gets them all."""
    submission = getattr(paper, "submission", None)
    assert info.id == paper.arxiv_id
    assert [a.name for a in info.authors or []] == [link.name for link in paper.ordered_authors]
    assert all(a.hidden is False and a.user is None for a in info.authors or [])
    assert info.published_at == (midnight(paper.published) if paper.published else None)
    assert info.title == paper.title
    assert info.summary == paper.abstract
    # The client reads a listing's upvotes as ``paper.upvotes or upvotes``: 0 falls through to the top
    # level, where Hugging Face sends none.
    assert info.upvotes == (paper.upvotes or None if listing else paper.upvotes)
    submitted = submission.submitter_display if submission and submission.submitter_display else None
    if listing:
        assert info.submitted_at == info.published_at  # the listing's publishedAt: no arXiv time here
        assert (info.submitted_by.username, info.submitted_by.fullname) == ("", submitted) if submitted else (
            info.submitted_by is None)
        assert (info.ai_keywords, info.project_page, info.github_repo, info.github_stars) == (None,) * 4
    else:
        assert info.comments == paper.num_comments and isinstance(info.comments, int)
        assert info.submitted_at == (submission.submitted_at if submission else None)
        assert (info.submitted_by.username if info.submitted_by else None) == submitted
        assert info.ai_keywords == (paper.keywords or None)
        assert info.project_page == (paper.project_page or None)
        assert info.github_repo == (paper.github_repo or None)
        assert info.github_stars == paper.github_stars
    if paper.organization is None:
        assert info.organization is None
    else:
        assert (info.organization.name, info.organization.fullname) == (paper.organization.slug,
                                                                        paper.organization.name)


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
        assert_matches_db(hf.paper_info(arxiv_id), from_db(arxiv_id), listing=False)
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


CLIENT_ATTRIBUTES = ("id", "published_at", "title", "summary", "upvotes", "discussion_id", "comments",
                     "submitted_at", "ai_summary", "ai_keywords", "project_page", "github_repo", "github_stars")


def client_view(info):
    """What PaperInfo holds, as plain values: its attributes, authors, submitter and organization."""
    return {
        **{name: getattr(info, name) for name in CLIENT_ATTRIBUTES},
        "authors": [(a.name, a.user and (a.user.username, a.user.fullname, a.user.avatar_url), a.status,
                     a.status_last_changed_at, a.hidden) for a in info.authors or []],
        "submitted_by": info.submitted_by and (info.submitted_by.username, info.submitted_by.fullname,
                                               info.submitted_by.avatar_url, info.submitted_by.is_pro),
        "organization": info.organization and (info.organization.name, info.organization.fullname,
                                               info.organization.avatar_url),
    }


@pytest.fixture
def recorded_day(shared_dir, tmp_path):
    """2026-03-16 as Hugging Face answered it (from the shared archive), imported into the site."""
    import json
    import tarfile

    from django.core.management import call_command

    with tarfile.open(shared_dir / "data" / "hf-daily-papers-api.tar.gz") as archive:
        body = archive.extractfile("hf-daily-papers-api/2026-03-16.json").read()
    path = tmp_path / "2026-03-16.json"
    path.write_bytes(body)
    call_command("import", str(path), "--no-progress", stdout=io.StringIO(), stderr=io.StringIO())
    return json.loads(body)


@pytest.mark.shared
def test_the_client_reads_hugging_faces_values_from_us(hf, recorded_day):
    """What the client makes of Hugging Face's recorded answer is what it makes of ours: every field it
    parses, the submitter's full name ("AK" for akhaliq) included."""
    from huggingface_hub.hf_api import PaperInfo

    ours = list(hf.list_daily_papers(date="2026-03-16", limit=100))
    theirs = [PaperInfo(**copy.deepcopy(entry)) for entry in recorded_day]  # it pops what it reads
    assert [info.id for info in ours] == [info.id for info in theirs]
    for mine, real in zip(ours, theirs, strict=True):
        assert client_view(mine) == client_view(real), real.id
    by_ak = [entry for entry in recorded_day if entry["submittedBy"]["fullname"] == "AK"]
    assert by_ak, "the recorded day has papers submitted by akhaliq"
    flat = hf.paper_info(by_ak[0]["paper"]["id"])
    assert (flat.submitted_by.username, flat.submitted_by.fullname) == ("akhaliq", "AK")
    assert flat.submitted_by.avatar_url == by_ak[0]["paper"]["submittedOnDailyBy"]["avatarUrl"]
    assert client_view(flat) | {"comments": None, "submitted_at": None} == client_view(
        PaperInfo(**copy.deepcopy(by_ak[0]["paper"]))) | {"comments": None, "submitted_at": None}
