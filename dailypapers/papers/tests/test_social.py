"""Per-paper social images (papers/social.py) and the card tags that point at them."""

import io
import re

import pytest
from django.conf import settings
from PIL import Image

from dailypapers.accounts.tests.people import make_papers
from dailypapers.papers import social
from dailypapers.papers.models import Organization, Paper
from dailypapers.papers.records import OrgRecord

pytestmark = pytest.mark.django_db

LAB = OrgRecord(name="Lumen Fieldwork Lab", slug="lumen-fieldwork")


@pytest.fixture
def paper(tmp_path, settings):
    settings.HOME = tmp_path
    [made] = make_papers(1, title="Tidal Gradient Descent: Optimizers That Follow the Moon",
                         authors=["Ilse Varga", "Tomasz Oyelaran", "Mirela Quint", "Odile Brandt"], organization=LAB)
    return Paper.objects.for_cards().get(pk=made.pk)


def test_it_draws_a_1200x630_png_with_the_papers_text(paper):
    text = social.card_text(paper)
    assert text["authors"] == "Ilse Varga, Tomasz Oyelaran, Mirela Quint and 1 more"
    assert text["organization"] == "Lumen Fieldwork Lab" and text["title"] == paper.title
    image = Image.open(social.image_path(paper))
    assert image.format == "PNG" and image.size == (1200, 630)
    # Text was drawn: the title area is not one flat colour.
    assert len(image.crop((80, 150, 1120, 260)).getcolors(maxcolors=100_000)) > 10


def test_it_draws_each_version_once_and_again_after_an_edit(paper):
    first = social.image_path(paper)
    mtime = first.stat().st_mtime_ns
    assert social.image_path(paper) == first and first.stat().st_mtime_ns == mtime
    Organization.objects.filter(pk=paper.organization_id).update(name="Lumen Lab")
    edited = social.image_path(Paper.objects.for_cards().get(pk=paper.pk))
    assert edited != first and edited.exists()


def test_it_wraps_and_cuts_long_titles_to_the_card():
    font = social._font(60, bold=True)
    lines = social._wrap("Moonlit " * 40 + "Supercalifragilistic" * 10, font, 1040, 4)
    assert len(lines) == 4 and lines[-1].endswith("…")
    assert all(font.getlength(line) <= 1040 for line in lines)


def test_it_serves_the_image_with_a_long_client_cache(client, paper):
    response = client.get(f"/papers/{paper.arxiv_id}/social.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert "max-age=86400" in response["Cache-Control"]
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (1200, 630)
    assert client.get(f"/papers/{paper.arxiv_id}v1/social.png").status_code == 301
    assert client.get("/papers/2603.99999/social.png").status_code == 404
    assert client.get("/papers/not-an-id/social.png").status_code == 404


def test_hidden_papers_have_no_image(client, paper):
    Paper.objects.filter(pk=paper.pk).update(hidden=True)
    assert client.get(f"/papers/{paper.arxiv_id}/social.png").status_code == 404


def test_the_paper_page_points_its_card_tags_at_the_papers_image(client, paper):
    page = client.get(f"/papers/{paper.arxiv_id}").content.decode()
    assert f'<meta property="og:title" content="{paper.title}">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    image = re.search(r'<meta property="og:image" content="([^"]+)">', page).group(1)
    assert image == f"http://testserver/papers/{paper.arxiv_id}/social.png"
    assert '<meta property="og:type" content="article">' in page


def test_card_urls_use_site_url_when_set(client, paper, settings):
    settings.SITE_URL = "https://papers.example.org"
    page = client.get(f"/papers/{paper.arxiv_id}").content.decode()
    assert f'content="https://papers.example.org/papers/{paper.arxiv_id}/social.png"' in page
    assert f'<meta property="og:url" content="https://papers.example.org/papers/{paper.arxiv_id}">' in page


def test_other_pages_use_the_site_icon_and_their_own_title(client, paper):
    page = client.get("/organizations/lumen-fieldwork").content.decode()
    assert '<meta property="og:title" content="Lumen Fieldwork Lab · papers">' in page
    assert re.search(r'<meta property="og:image" content="http://testserver/static/[^"]*icon-512\.png">', page)
    assert '<meta name="twitter:card" content="summary">' in page
    assert settings.SITE_NAME in client.get("/").content.decode()
