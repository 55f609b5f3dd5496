"""A small invented site for the layout and accessibility tests: papers on two days (one with an
organization, a long title and a long author list), a member with a collection, a comment and a saved
paper, and the paths of every page template, anonymous and signed in."""

import datetime as dt

from django.conf import settings
from django.core.cache import caches
from django.test import Client

from dailypapers.accounts.tests.people import make_user
from dailypapers.community import collections, comments
from dailypapers.lib import calendar
from dailypapers.papers.records import OrgRecord, PaperRecord
from dailypapers.papers.upsert import upsert_papers

LAB = OrgRecord(name="Lumen Fieldwork Laboratory for Extremely Long Organization Names", slug="lumen-fieldwork")
LONG_TITLE = ("Supercalifragilisticexpialidocious-Transformers: Pneumonoultramicroscopic Tokenization of "
              "Antidisestablishmentarianism in Low-Resource Multilingual Settings")
PAPER = "2603.01101"
AUTHOR_SLUG = "ilse-varga"


def build(day=None):
    """The site's rows; returns the member (verified) and the feed day."""
    for name in settings.CACHES:
        caches[name].clear()
    day = day or calendar.current_feed_day()
    published = day - dt.timedelta(days=3)
    authors = ["Ilse Varga", "Tomasz Oyelaran", "Mirela Quint", *(f"Coauthor Number{n}" for n in range(12))]
    rows = [
        (PAPER, LONG_TITLE, authors, {"organization": LAB, "github_repo": "https://github.com/lumen/tidal-gd",
                                      "github_stars": 1234, "project_page": "https://lumen.example.org/x"}),
        ("2603.01102", "Counting Sheep with Sparse Transformers", ["Odile Brandt", "Kwame Ashford"], {}),
        ("2603.01103", "A Benchmark of Unfinished Sentences", ["Ilse Varga"], {}),
    ]
    records = [PaperRecord(arxiv_id=arxiv_id, title=title, authors=names, hf_upvotes=10 + n,
                           abstract="An invented abstract for the layout tests, long enough to wrap. " * 6,
                           published=published, version=1, categories=["cs.LG", "cs.CL"], featured_on=day,
                           submitted_by="test-curator", source="test", **extra)
               for n, (arxiv_id, title, names, extra) in enumerate(rows)]
    assert upsert_papers(records).rejected == []
    member = make_user("alexandra_with_a_rather_long_username")
    from dailypapers.papers.models import Paper

    paper = Paper.objects.get(arxiv_id=PAPER)
    comments.post(paper, member, "Calm optimizers are **underrated**. " + "Very long word " * 20)
    shelf = collections.create(member, "Tidal reading", is_public=True)
    collections.add(shelf, paper)
    return member, day


def session_cookie(user, site_url):
    """The cookie of a signed-in session, for a browser context."""
    client = Client()
    client.force_login(user)
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": site_url}


def page_paths(member, day):
    """Every page template a reader can reach by GET: (path, needs a signed-in member)."""
    year, week, _ = day.isocalendar()
    shelf = member.collections.get(name="Tidal reading")
    anonymous = [
        "/", f"/papers/date/{day}", f"/papers/week/{year}-W{week:02d}", f"/papers/month/{day:%Y-%m}",
        "/papers/trending", f"/papers/{PAPER}", "/papers?q=sheep", "/papers?q=zzzznothing", "/organizations",
        f"/organizations/{LAB.slug}", f"/authors/{AUTHOR_SLUG}", f"/users/{member.username}",
        shelf.get_absolute_url(), "/login", "/signup", "/password-reset", "/digests/subscribe",
        "/digests/check-your-inbox", "/papers/2030-not-an-id", "/papers/2603.99999", "/papers/date/2030-01-01",
        "/papers/date/not-a-date", "/no-such-page",
    ]
    member_only = ["/for-you", "/submit", "/settings", "/settings/password", "/settings/tokens",
                   "/settings/delete", "/collections", f"/authors/{AUTHOR_SLUG}/claim"]
    return anonymous, member_only
