"""A small invented corpus for the API and feed tests, and a clean rate-limit/Last-Modified cache.

The conftests of ``api/tests`` and ``feeds/tests`` import these fixtures."""

import datetime as dt

import pytest
from django.core.cache import caches

from dailypapers.community import collections
from dailypapers.papers.models import Paper, Submission
from dailypapers.papers.records import OrgRecord, PaperRecord
from dailypapers.papers.upsert import upsert_papers

MONDAY, TUESDAY, FRIDAY = dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.date(2026, 3, 6)
LAST_FRIDAY = dt.date(2026, 2, 27)  # the week before, and the month before
HOSTILE = '<script>alert(1)</script> & $<$ "><img src=x onerror=alert(2)> \\alpha_{i}'


def feature(n, day, upvotes=1, hour=4, **fields):
    """An invented paper 2603.0000n featured on ``day`` at ``hour`` UTC."""
    return PaperRecord(
        arxiv_id=fields.pop("arxiv_id", f"2603.{n:05d}"), title=fields.pop("title", f"Paper number {n}"),
        abstract=fields.pop("abstract", f"Abstract of paper {n}."),
        authors=fields.pop("authors", ["Alice Quark", "Bob Lepton", f"Author {n}"]),
        published=day - dt.timedelta(days=1), hf_upvotes=upvotes, featured_on=day,
        featured_at=dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC), **fields,
    )


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    """Rate-limit counters and Last-Modified memories live in the shared cache: give each test an empty
    one of its own, in memory, rather than the file cache other test runs on this machine count in."""
    settings.CACHES = {**settings.CACHES, "shared": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "api-tests-shared"}}
    caches["shared"].clear()
    yield
    caches["shared"].clear()


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.org", "pw-alice-123")


@pytest.fixture
def corpus(alice):
    """Seven papers: rich, hostile, submitted by a local user, hidden, never featured, old-style, older."""
    upsert_papers([
        feature(1, MONDAY, 50, organization=OrgRecord("Lantern Lab", "lantern", "https://example.org/lantern.png"),
                github_repo="https://github.com/alice/lanterns", github_stars=1234, submitted_by="dana",
                project_page="https://lanterns.example.org", keywords=["light routing", "lanterns"],
                categories=["cs.LG", "cs.CV"], hf_comments=2, version=1),
        feature(2, MONDAY, 0, title=HOSTILE, abstract=HOSTILE, authors=[HOSTILE, "Bob Lepton"],
                categories=["cs.CL"]),
        feature(3, TUESDAY, 9, categories=["cs.CV"]),
        feature(4, TUESDAY, 30, hour=1),
        feature(5, FRIDAY, 2, organization=OrgRecord("Lantern Lab")),
        feature(6, LAST_FRIDAY, 7, arxiv_id="astro-ph/0601001", title="An old-style paper",
                authors=["Charlie Gluon"], categories=["astro-ph"]),
        PaperRecord(arxiv_id="2603.00007", title="Never featured", authors=["Charlie Gluon"],
                    published=dt.date(2026, 3, 1), categories=["cs.LG"], hf_upvotes=3),
    ])
    Submission.objects.filter(paper__arxiv_id="2603.00003").update(submitter=alice, submitter_name="")
    Paper.objects.filter(arxiv_id="2603.00001").update(local_upvotes=2, local_comments=1)
    hidden = feature(8, MONDAY, 99, title="Hidden by a moderator")
    upsert_papers([hidden])
    Paper.objects.filter(arxiv_id="2603.00008").update(hidden=True)
    return {p.arxiv_id: p for p in Paper.objects.for_cards()}


@pytest.fixture
def collected(corpus, alice, django_user_model):
    """alice's public collection (papers 1, 2 and the hidden 8, added in that order) and a private one;
    bob's public one."""
    public = collections.create(alice, "Lantern reading", is_public=True, description="Light & <routing>")
    for arxiv_id in ("2603.00001", "2603.00002", "2603.00008"):
        collections.add(public, Paper.objects.get(arxiv_id=arxiv_id))
    collections.add(collections.create(alice, "Secret list"), Paper.objects.get(arxiv_id="2603.00003"))
    bob = django_user_model.objects.create_user("bob", "bob@example.org", "pw-bob-123")
    collections.add(collections.create(bob, "Bob's picks", is_public=True), Paper.objects.get(arxiv_id="2603.00004"))
    return public
