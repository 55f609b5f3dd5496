import datetime as dt

import pytest
from django.db import DatabaseError

from dailypapers.papers import upsert as upsert_module
from dailypapers.papers.models import (
    Author,
    FeedRepeat,
    Organization,
    Paper,
    PaperAuthor,
    PaperVersion,
    Submission,
)
from dailypapers.papers.records import OrgRecord, PaperRecord
from dailypapers.papers.upsert import upsert_papers

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 3, 2)


def record(arxiv_id="2603.00001", **fields):
    base = dict(
        title="Sparse Lanterns: Routing Light Through Tiny Networks",
        abstract="We route light through tiny networks.",
        authors=["Alice Quark", "Bob Lepton"],
        published=dt.date(2026, 2, 27),
        hf_upvotes=7,
        featured_on=MONDAY,
        featured_at=dt.datetime(2026, 3, 2, 4, 30, tzinfo=dt.UTC),
        submitted_by="charlie",
    )
    return PaperRecord(arxiv_id=arxiv_id, **(base | fields))


def snapshot():
    """Everything upsert writes, as plain data, to compare two states of the database."""
    return {
        "papers": list(Paper.objects.order_by("arxiv_id").values()),
        "links": list(PaperAuthor.objects.order_by("paper__arxiv_id", "position").values_list(
            "paper_id", "name", "author__slug")),
        "authors": list(Author.objects.order_by("slug").values_list("slug", "name")),
        "orgs": list(Organization.objects.order_by("slug").values_list("slug", "name", "avatar_url")),
        "versions": list(PaperVersion.objects.order_by("paper__arxiv_id", "version").values_list(
            "paper_id", "version", "announced")),
        "submissions": list(Submission.objects.order_by("paper_id").values()),
    }


def test_it_creates_papers_with_authors_in_order_and_a_submission():
    result = upsert_papers([record(), record("2603.00002", title="Second", authors=["Bob Lepton", "Dana Muon"])])
    assert (result.created, result.updated, result.unchanged, result.rejected) == (2, 0, 0, [])
    paper = Paper.objects.get(arxiv_id="2603.00001")
    assert [a.name for a in paper.ordered_authors] == ["Alice Quark", "Bob Lepton"]
    assert paper.submission.feed_day == MONDAY
    assert paper.submission.submitter_name == "charlie"
    assert paper.submission.featured_ts == int(dt.datetime(2026, 3, 2, 4, 30, tzinfo=dt.UTC).timestamp())
    assert paper.upvotes == 7
    # One Author row per person, shared between papers.
    assert Author.objects.get(slug="bob-lepton").papers.count() == 2


def test_the_same_input_twice_changes_nothing():
    records = [record(), record("2603.00002", organization=OrgRecord("Lantern Lab", "lantern", "https://x.test/a.png"),
                                 keywords=["light"], version=2, versions=[(1, MONDAY), (2, dt.date(2026, 3, 5))])]
    upsert_papers(records)
    before = snapshot()
    result = upsert_papers(records)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert snapshot() == before


def test_it_updates_changed_fields_and_keeps_unknown_ones():
    upsert_papers([record(github_repo="https://github.com/alice/lanterns", github_stars=3)])
    result = upsert_papers([record(title="Sparse Lanterns (revised)", github_stars=10, github_repo=None,
                                   abstract=None, authors=None)])
    assert (result.created, result.updated) == (0, 1)
    paper = Paper.objects.get()
    assert paper.title == "Sparse Lanterns (revised)"
    assert paper.github_stars == 10
    assert paper.github_repo == "https://github.com/alice/lanterns"  # None: the source did not know
    assert paper.abstract == "We route light through tiny networks."
    assert [a.name for a in paper.ordered_authors] == ["Alice Quark", "Bob Lepton"]


def test_it_records_new_versions_and_never_moves_backwards():
    upsert_papers([record("2603.00001v1", featured_on=None)])
    upsert_papers([record("2603.00001v3", updated=dt.date(2026, 3, 9), featured_on=None)])
    upsert_papers([record("2603.00001v2", updated=dt.date(2026, 3, 4), featured_on=None)])
    paper = Paper.objects.get()
    assert Paper.objects.count() == 1
    assert paper.version == 3
    assert paper.updated == dt.date(2026, 3, 9)
    assert list(paper.versions.values_list("version", "announced")) == [
        (1, dt.date(2026, 2, 27)), (2, dt.date(2026, 3, 4)), (3, dt.date(2026, 3, 9))]


def test_a_bad_record_is_rejected_alone_with_a_reason():
    bad = [
        PaperRecord(arxiv_id="not-an-id", title="x", origin="feed.jsonl:2"),
        PaperRecord(arxiv_id="2603.00009", title="   "),
        PaperRecord(arxiv_id="2603.00010", title="Dated", published="2026-13-45"),
    ]
    result = upsert_papers([record(), *bad, record("2603.00002")])
    assert result.created == 2
    reasons = dict(result.rejected)
    assert "not an arXiv id" in reasons["feed.jsonl:2"]
    assert "no title" in reasons["2603.00009"]
    assert "published is not a date" in reasons["2603.00010"]
    assert set(Paper.objects.values_list("arxiv_id", flat=True)) == {"2603.00001", "2603.00002"}


def test_a_database_error_in_one_record_does_not_sink_its_batch(monkeypatch):
    real_apply = upsert_module._Batch.apply

    def failing_apply(batch):
        if any(r.arxiv_id == "2603.00002" for r in batch.records):
            raise DatabaseError("disk on fire")
        return real_apply(batch)

    monkeypatch.setattr(upsert_module._Batch, "apply", failing_apply)
    result = upsert_papers([record(), record("2603.00002"), record("2603.00003")])
    assert result.created == 2
    assert result.rejected == [("2603.00002", "database error: disk on fire")]
    assert not Paper.objects.filter(arxiv_id="2603.00002").exists()
    assert not Submission.objects.filter(paper__arxiv_id="2603.00002").exists()


def test_a_paper_is_featured_once_on_its_earliest_day():
    later = MONDAY + dt.timedelta(days=2)
    upsert_papers([record(featured_on=later, featured_at=None, hf_upvotes=40, github_repo="https://github.com/a/b",
                          submitted_by="dana")])
    upsert_papers([record(hf_upvotes=12, github_repo=None)])
    paper = Paper.objects.get()
    assert Submission.objects.count() == 1
    assert paper.submission.feed_day == MONDAY
    assert paper.submission.submitter_name == "charlie"
    assert paper.hf_upvotes == 40  # upvote snapshots keep the highest
    # The later day it was first seen on is still one it was listed on.
    assert list(FeedRepeat.objects.values_list("feed_day", flat=True)) == [later]


def test_a_later_repeat_listing_only_contributes_its_upvotes():
    upsert_papers([record(hf_upvotes=5, github_stars=1, hf_comments=1)])
    result = upsert_papers([record(featured_on=MONDAY + dt.timedelta(days=7), hf_upvotes=90, github_stars=50,
                                   hf_comments=9, title="Renamed on the repeat day")])
    assert result.updated == 1
    paper = Paper.objects.get()
    assert (paper.hf_upvotes, paper.github_stars, paper.hf_comments) == (90, 1, 1)
    assert paper.title.startswith("Sparse Lanterns")
    assert paper.submission.feed_day == MONDAY
    repeat_day = MONDAY + dt.timedelta(days=7)
    assert list(Paper.objects.featured_between(repeat_day, repeat_day)) == [paper]  # listed on both days
    assert list(Paper.objects.featured_between(MONDAY, MONDAY)) == [paper]
    assert upsert_papers([record(featured_on=repeat_day)]).unchanged == 1


HF_EXTRAS = dict(
    title_as_sent="Sparse Lanterns:\n  Routing Light Through Tiny Networks",
    abstract_as_sent="We route light\nthrough tiny networks.",
    published_at=dt.datetime(2026, 2, 27, 17, 59, 1, tzinfo=dt.UTC),
    arxiv_submitted_at=dt.datetime(2026, 2, 26, 13, 0, tzinfo=dt.UTC),
    discussion_id="6a87afc589e517cbfd75dbe0", thumbnail="https://example.org/t.png",
    media_urls=["https://example.org/m.mp4", "javascript:alert(1)"], ai_summary="Light, routed by tiny nets.",
    ai_summary_model="example/summarizer", github_repo_added_by="user", is_author_participating=True,
    author_details=[{"_id": "a1", "status": "claimed_verified", "user": {"user": "alice", "fullname": "Alice Q."}},
                    {"_id": "a2"}],
    submitter_profile={"name": "charlie", "fullname": "Charlie C.", "avatarUrl": "https://example.org/c.png"},
    daily_submitter={"user": "charlie", "fullname": "Charlie C."},
)


def test_a_reimport_fills_what_an_older_import_lacked_and_keeps_it():
    upsert_papers([record()])
    assert upsert_papers([record(**HF_EXTRAS)]).updated == 1
    assert upsert_papers([record(**HF_EXTRAS)]).unchanged == 1
    upsert_papers([record(authors=["Alice Quark", "Bob Lepton"])])  # a source that knows no details
    paper = Paper.objects.get()
    assert paper.title == "Sparse Lanterns: Routing Light Through Tiny Networks"
    assert paper.title_as_sent == HF_EXTRAS["title_as_sent"]
    assert paper.abstract_as_sent == HF_EXTRAS["abstract_as_sent"]
    assert (paper.published_at, paper.arxiv_submitted_at) == (HF_EXTRAS["published_at"],
                                                               HF_EXTRAS["arxiv_submitted_at"])
    assert paper.media_urls == ["https://example.org/m.mp4"]  # only web links
    assert (paper.ai_summary, paper.ai_summary_model) == ("Light, routed by tiny nets.", "example/summarizer")
    assert (paper.discussion_id, paper.thumbnail, paper.is_author_participating) == (
        "6a87afc589e517cbfd75dbe0", "https://example.org/t.png", True)
    assert [link.hf for link in paper.ordered_authors] == HF_EXTRAS["author_details"]
    assert paper.submission.submitter_fullname == "Charlie C."
    assert paper.submission.submitter_avatar_url == "https://example.org/c.png"


def test_text_as_sent_is_kept_only_where_it_differs():
    upsert_papers([record(title_as_sent="Sparse Lanterns: Routing Light Through Tiny Networks")])
    assert Paper.objects.get().title_as_sent == ""


def test_two_hugging_face_organizations_with_one_name_stay_two():
    upsert_papers([record(organization=OrgRecord("Lab", "lab-a", hf_name="LabA", hf_id="1")),
                   record("2603.00002", organization=OrgRecord("Lab", "lab-b", hf_name="LabB", hf_id="2"))])
    upsert_papers([record("2603.00003", organization=OrgRecord("Lab Renamed", hf_name="LabA", hf_id="1",
                                                               avatar_url="https://example.org/a.png"))])
    orgs = {o.hf_id: o for o in Organization.objects.all()}
    assert len(orgs) == 2 and orgs["1"].name == "Lab Renamed" and orgs["2"].name == "Lab"
    assert orgs["1"].avatar_url == "https://example.org/a.png"
    assert Paper.objects.get(arxiv_id="2603.00001").organization == orgs["1"]


def test_ties_in_upvotes_break_by_arxiv_time_newest_first():
    upsert_papers([record("2603.00001", arxiv_submitted_at=dt.datetime(2026, 2, 26, tzinfo=dt.UTC)),
                   record("2603.00002", arxiv_submitted_at=dt.datetime(2026, 2, 27, tzinfo=dt.UTC)),
                   record("2603.00003", hf_upvotes=8)])
    ranked = Paper.objects.featured_between(MONDAY, MONDAY).ranked("upvotes")
    assert [p.arxiv_id for p in ranked] == ["2603.00003", "2603.00002", "2603.00001"]


def test_organizations_are_found_by_name_and_take_the_hf_slug_when_free():
    upsert_papers([record(organization=OrgRecord("Lantern Lab"))])
    upsert_papers([record("2603.00002", organization=OrgRecord("Lantern Lab", "lantern", "https://x.test/l.png")),
                   record("2603.00003", organization=OrgRecord("Muon Works", "muon"))])
    assert list(Organization.objects.order_by("slug").values_list("slug", "name", "avatar_url")) == [
        ("lantern-lab", "Lantern Lab", "https://x.test/l.png"), ("muon", "Muon Works", "")]
    assert Paper.objects.filter(organization__slug="lantern-lab").count() == 2


def test_two_coauthors_with_one_name_keep_their_positions():
    upsert_papers([record(authors=["Wei Wang", "Alice Quark", "Wei Wang"])])
    paper = Paper.objects.get()
    assert [a.name for a in paper.ordered_authors] == ["Wei Wang", "Alice Quark", "Wei Wang"]
    assert Author.objects.count() == 2


def test_an_author_list_change_replaces_the_links():
    upsert_papers([record()])
    upsert_papers([record(authors=["Bob Lepton", "Alice Quark", "Erin Gluon"])])
    paper = Paper.objects.get()
    assert [a.name for a in paper.ordered_authors] == ["Bob Lepton", "Alice Quark", "Erin Gluon"]
    assert PaperAuthor.objects.count() == 3


def test_only_web_links_are_kept():
    upsert_papers([record(github_repo="javascript:alert(1)", project_page="https://lanterns.example/")])
    paper = Paper.objects.get()
    assert paper.github_repo == ""
    assert paper.project_page == "https://lanterns.example/"


def test_duplicates_within_one_batch_make_one_paper():
    result = upsert_papers([record(), record(hf_upvotes=9), record("2603.00001v2", featured_on=None)])
    assert result.created == 1 and result.total == 1
    paper = Paper.objects.get()
    assert (paper.hf_upvotes, paper.version) == (9, 2)


def test_batches_of_any_size_give_the_same_database():
    records = [record(f"2603.{n:05d}", authors=[f"Author {n % 7}", "Alice Quark"], hf_upvotes=n,
                      organization=OrgRecord(f"Org {n % 3}")) for n in range(1, 40)]
    upsert_papers(records, batch_size=500)
    whole = snapshot()
    Paper.objects.all().delete()
    Author.objects.all().delete()
    Organization.objects.all().delete()
    upsert_papers(records, batch_size=7)
    small = snapshot()
    strip = ("id", "paper_id", "created_at", "updated_at", "organization_id")

    def plain(snap):
        return {k: [{f: v for f, v in row.items() if f not in strip} if isinstance(row, dict) else row[1:]
                    for row in rows] for k, rows in snap.items()}

    assert plain(small) == plain(whole)
