"""What Hugging Face sends beyond arXiv shows on the site: its AI summary (labelled as such) on cards
and the paper page, media as links, and the submitter's full name."""

import datetime as dt

import pytest

from dailypapers.papers.records import PaperRecord
from dailypapers.papers.upsert import upsert_papers

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 3, 2)


@pytest.fixture
def summarized():
    upsert_papers([PaperRecord(
        arxiv_id="2603.00001", title="Sparse Lanterns", abstract="We route light.", authors=["Alice Quark"],
        published=MONDAY, hf_upvotes=3, featured_on=MONDAY, submitted_by="akhaliq",
        submitter_profile={"name": "akhaliq", "fullname": "AK"},
        ai_summary="Lanterns <b>route</b> light with tiny networks.", ai_summary_model="example/summarizer",
        media_urls=["https://example.org/demo.mp4"],
    )])


def test_a_card_shows_the_ai_summary_labelled_and_escaped(client, summarized):
    page = client.get("/papers/date/2026-03-02").content.decode()
    assert "Hugging Face's AI summary</span> Lanterns &lt;b&gt;route&lt;/b&gt; light" in page


def test_the_paper_page_shows_summary_model_media_and_the_submitters_full_name(client, summarized):
    page = client.get("/papers/2603.00001").content.decode()
    assert "Hugging Face's AI summary" in page and "Lanterns &lt;b&gt;route&lt;/b&gt; light" in page
    assert "with example/summarizer, not written by the authors" in page
    assert '<a href="https://example.org/demo.mp4" rel="noopener nofollow">' in page
    assert "Submitted by AK (akhaliq)" in page
