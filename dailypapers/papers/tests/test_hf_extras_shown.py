"""What Hugging Face sends beyond arXiv shows on the site: its AI summary (labelled as such) on cards
and the paper page, media as links, the submitter's full name and organization, and avatars as the
site's own copies (never loaded from Hugging Face by a reader's browser)."""

import datetime as dt
import io

import pytest
from PIL import Image

from dailypapers.lib import avatars
from dailypapers.papers.records import OrgRecord, PaperRecord
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


@pytest.fixture
def with_avatars(settings, tmp_path):
    settings.HOME = tmp_path
    upsert_papers([PaperRecord(
        arxiv_id="2603.00002", title="Kept faces", abstract="Avatars.", authors=["Bob Wick"],
        published=MONDAY, featured_on=MONDAY, submitted_by="dora",
        organization=OrgRecord("Lantern Lab", avatar_url="https://cdn.example.org/lab.png"),
        submitter_profile={"name": "dora", "fullname": "Dora D.", "avatarUrl": "https://cdn.example.org/dora.png"},
        submitter_organization={"_id": "1", "name": "lanternlab", "fullname": "Lantern Lab", "avatar": ""},
    )])


def keep(url):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(buffer, "PNG")
    avatars.store(url, buffer.getvalue())
    return avatars.local_url(url)


def test_avatars_show_as_the_sites_own_copies_or_as_an_initial(client, with_avatars):
    page = client.get("/papers/2603.00002").content.decode()
    assert "cdn.example.org" not in page and 'org-avatar-fallback" aria-hidden="true">L<' in page
    lab, dora = keep("https://cdn.example.org/lab.png"), keep("https://cdn.example.org/dora.png")
    for url in ["/papers/date/2026-03-02", "/papers/2603.00002"]:
        page = client.get(url).content.decode()
        assert f'<img class="org-avatar" src="{lab}"' in page and "cdn.example.org" not in page, url
    page = client.get("/papers/2603.00002").content.decode()
    assert f'<img class="submitter-avatar" src="{dora}"' in page
    assert "Submitted by Dora D. (dora) for Lantern Lab" in page


def test_pages_may_show_no_image_from_elsewhere(client, with_avatars):
    policy = client.get("/papers/2603.00002")["Content-Security-Policy"]
    assert "img-src 'self' data:;" in policy and "https:" not in policy.split("img-src")[1].split(";")[0]
