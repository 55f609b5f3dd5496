"""A newcomer in a real browser: sign-up → email verification → upvote → submit → comment → save →
"For you".

Drives the system Chromium through Playwright against pytest-django's live server (same process, so
the verification email is in ``mail.outbox``). The arXiv API is a local replay server; paper vectors
are written the way the embed job writes them, from invented topic directions, so no model loads.
"""

import datetime as dt
import re

import numpy as np
import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import caches
from django.db import connections
from django.utils import timezone

from dailypapers.accounts.models import User
from dailypapers.community.models import Comment
from dailypapers.lib import calendar
from dailypapers.papers.models import Paper, Upvote
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.upsert import upsert_papers
from dailypapers.search.models import PaperEmbedding, vector_to_bytes
from dailypapers.sources.tests.replay import ReplayServer, ok

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIDES = ["Tidal Gradient Descent", "Moonlit Momentum for Optimizers", "Spring Tides in Loss Landscapes",
         "Ebb and Flow Learning Rates"]
SHEEP = ["Counting Sheep with Sparse Transformers", "Flock Detection at Dusk", "Wool Texture Synthesis"]
NEW_ID = "2603.09999"
ATOM = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"
      xmlns:arxiv="http://arxiv.org/schemas/atom">
  <opensearch:totalResults>1</opensearch:totalResults>
  <entry>
    <id>http://arxiv.org/abs/{arxiv_id}v1</id>
    <title>Neap Tides &amp; the Quiet Optimizer</title>
    <summary>An invented abstract about a very calm optimizer.</summary>
    <published>{published}T09:00:00Z</published>
    <updated>{published}T09:00:00Z</updated>
    <arxiv:primary_category term="cs.LG"/>
    <author><name>Mirela Quint</name></author>
  </entry>
</feed>"""


@pytest.fixture
def corpus(transactional_db):
    """Seven featured papers on today's list in two invented topics, with stored vectors."""
    for name in settings.CACHES:
        caches[name].clear()
    day = calendar.current_feed_day()
    published = timezone.now().date() - dt.timedelta(days=3)
    records = [PaperRecord(arxiv_id=f"2603.0{n:04d}", title=title, abstract=f"An invented abstract: {title}.",
                           authors=["Ilse Varga"], published=published, categories=["cs.LG"], hf_upvotes=n,
                           featured_on=day, submitted_by="curator", source="test")
               for n, title in enumerate(TIDES + SHEEP, start=1)]
    assert upsert_papers(records).rejected == []
    rng = np.random.default_rng(3)
    topics = {"tides": rng.normal(size=384), "sheep": rng.normal(size=384)}
    for paper in Paper.objects.all():
        vector = topics["tides" if paper.title in TIDES else "sheep"] + 0.5 * rng.normal(size=384)
        PaperEmbedding.objects.create(paper=paper, vector=vector_to_bytes(vector / np.linalg.norm(vector)))
    return day


@pytest.fixture
def arxiv(settings):
    with ReplayServer() as server:
        published = timezone.now().date() - dt.timedelta(days=2)
        server.add("/api/query", None, ok(ATOM.format(arxiv_id=NEW_ID, published=published)))
        settings.ARXIV_API_BASE_URL = server.url("/api/query")
        yield server


def card(page, title):
    return page.locator("article.paper-card", has=page.get_by_role("link", name=title, exact=True))


def test_a_newcomer_signs_up_votes_submits_comments_saves_and_gets_picks(corpus, arxiv, live_server, browser_page):
    page, site = browser_page, live_server.url
    broken = []
    page.on("response", lambda r: r.status >= 500 and broken.append(f"{r.status} {r.url}"))
    page.on("pageerror", lambda error: broken.append(f"script error: {error}"))
    feed_url = f"{site}/papers/date/{corpus}"
    try:
        sign_up_from_an_anonymous_vote(page, feed_url)
        verify_through_the_emailed_link(page, site)
        upvote_in_place(page, feed_url)
        submit_by_pdf_link(page, arxiv)
        comment(page)
        save_to_a_new_collection(page, site)
        for_you_reflects_it(page)
    finally:
        # Database checks made while Playwright drives the page run in its greenlet, whose context
        # gets a connection of its own: close it here, or PostgreSQL cannot drop the test database.
        connections.close_all()
    assert broken == []


def sign_up_from_an_anonymous_vote(page, feed_url):
    """An anonymous upvote leads to log in, and on to sign-up, keeping the way back."""
    page.goto(feed_url)
    card(page, TIDES[0]).locator("button.upvote-button").click()
    page.wait_for_url(re.compile(r"/login\?next="))
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Username").fill("dora")
    page.get_by_label("Email").fill("dora@example.org")
    page.get_by_label("Password", exact=True).fill("moonlit-momentum-7")
    page.get_by_label("Password confirmation").fill("moonlit-momentum-7")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(feed_url)
    assert not User.objects.get(username="dora").is_verified


def verify_through_the_emailed_link(page, site):
    [message] = mail.outbox
    link = re.search(r"https?://\S+/verify-email/\S+", message.body).group(0)
    page.goto(link.replace("http://testserver", site))
    page.get_by_role("button", name=re.compile("^Confirm")).click()
    page.wait_for_url(re.compile(r"/settings$"))
    assert User.objects.get(username="dora").is_verified


def upvote_in_place(page, feed_url):
    """The script updates the count at once; the database follows; a second click takes it back."""
    page.goto(feed_url)
    button = card(page, TIDES[0]).locator("button.upvote-button")
    before = int(button.get_attribute("data-count"))
    button.click()
    page.wait_for_function("b => b.getAttribute('aria-pressed') === 'true'", arg=button.element_handle())
    assert button.get_attribute("data-count") == str(before + 1)
    page.wait_for_function("b => !b.hasAttribute('aria-busy')", arg=button.element_handle())
    assert Upvote.objects.filter(user__username="dora", paper__title=TIDES[0]).exists()
    assert Paper.objects.get(title=TIDES[0]).local_upvotes == 1
    page.reload()
    button = card(page, TIDES[0]).locator("button.upvote-button")
    assert button.get_attribute("aria-pressed") == "true"
    for pressed, local in (("false", 0), ("true", 1)):
        button.click()
        page.wait_for_function(f"b => b.getAttribute('aria-pressed') === '{pressed}' && !b.hasAttribute('aria-busy')",
                               arg=button.element_handle())
        assert Paper.objects.get(title=TIDES[0]).local_upvotes == local


def submit_by_pdf_link(page, arxiv):
    """The metadata of a paper the site does not have comes from the (replayed) arXiv API."""
    page.get_by_role("link", name="Submit").click()
    page.get_by_label("arXiv id or link").fill(f"https://arxiv.org/pdf/{NEW_ID}v1")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(rf"/papers/{NEW_ID}$"))
    assert page.locator("h1.paper-title").inner_text().strip() == "Neap Tides & the Quiet Optimizer"
    assert "Submitted by dora" in page.content()
    assert len(arxiv.requests) == 1


def comment(page):
    page.get_by_label("Add a comment").fill("Calm optimizers are **underrated**.")
    page.get_by_role("button", name="Comment", exact=True).click()
    page.wait_for_url(re.compile(r"#comment-\d+$"))
    assert page.locator(".comment-body strong").inner_text() == "underrated"
    assert Comment.objects.get().author.username == "dora"


def save_to_a_new_collection(page, site):
    page.goto(f"{site}/papers/2603.00002")
    page.locator("details.new-collection summary").click()
    page.get_by_label("New collection name").fill("Tidal reading")
    page.locator(".save-form").get_by_role("button", name="Save").click()
    page.wait_for_selector("text=Saved to “Tidal reading”.")
    page.get_by_role("link", name="Tidal reading").click()
    assert page.locator("article.paper-card h3").inner_text().strip() == TIDES[1]


def for_you_reflects_it(page):
    """The other tide papers come first, each saying why; what dora already has is not offered."""
    page.get_by_role("link", name="For you").click()
    page.wait_for_url(re.compile(r"/for-you$"))
    reasons = page.locator(".pick-reason .reason").all_inner_texts()
    titles = [t.strip() for t in page.locator(".for-you-pick article.paper-card h3").all_inner_texts()]
    assert set(titles[:2]) == {TIDES[2], TIDES[3]}, titles
    assert TIDES[0] not in titles and TIDES[1] not in titles
    assert reasons[0].startswith("Similar to “") and "which you" in reasons[0]
    assert "which you saved" in " ".join(reasons)
