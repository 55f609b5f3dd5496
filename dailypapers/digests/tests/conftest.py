import datetime as dt
import logging

import pytest
import time_machine
from django.core.cache import caches
from django.utils import timezone

from dailypapers.digests.models import Subscription
from dailypapers.papers.records import OrgRecord, PaperRecord
from dailypapers.papers.upsert import upsert_papers

from .smtp import Recorder, start_server

# A week in March 2026: Monday the 2nd to Sunday the 8th. Digests are due at 07:00 UTC.
MONDAY = dt.date(2026, 3, 2)
SITE_URL = "https://papers.example.org"


def at(day, hour=7, minute=5):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)


def day(n):
    """MONDAY + n days."""
    return MONDAY + dt.timedelta(days=n)


class Clock:
    """Frozen time (time-machine): ``clock()`` is now; ``set`` and ``advance`` move it."""

    def __init__(self, traveller):
        self.traveller = traveller

    def __call__(self):
        return timezone.now()

    def set(self, now):
        self.traveller.move_to(now)

    def advance(self, **delta):
        self.traveller.shift(dt.timedelta(**delta))


@pytest.fixture
def clock():
    """Time frozen on Tuesday 2026-03-03 07:05 UTC (just after the daily slot)."""
    with time_machine.travel(at(day(1)), tick=False) as traveller:
        yield Clock(traveller)


@pytest.fixture(autouse=True)
def digest_settings(settings):
    settings.SITE_URL = SITE_URL
    settings.SITE_NAME = "Daily Papers"
    settings.DEFAULT_FROM_EMAIL = "Daily Papers <papers@example.org>"
    settings.DIGEST_HOUR_UTC = 7
    settings.DIGEST_SIZE = 10
    settings.DIGEST_PICKS = 5
    settings.DIGEST_BOUNCE_LIMIT = 3
    settings.DIGEST_UNSUBSCRIBE_MAILTO = ""
    # Rate-limit counters live in the "shared" cache, which during tests is still the file cache under
    # ./var (settings are read before the root conftest moves DAILYPAPERS_HOME): use a private one.
    locmem = "django.core.cache.backends.locmem.LocMemCache"
    settings.CACHES = {name: {"BACKEND": locmem, "LOCATION": f"digests-tests-{name}"} for name in settings.CACHES}
    for cache in caches.all():
        cache.clear()
    return settings


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a loopback port; Django's SMTP backend pointed at it."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command at INFO
    recorder = Recorder()
    controller = start_server(recorder)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    recorder.port = controller.port
    yield recorder
    controller.stop()


def paper(n, feature_day, upvotes=1, hour=9, **fields):
    return PaperRecord(
        arxiv_id=f"2603.{n:05d}",
        title=fields.pop("title", f"Paper number {n}"),
        abstract=fields.pop("abstract", f"We study problem {n}. Then we solve it twice."),
        authors=fields.pop("authors", ["Alice Quark", "Bob Lepton", "Charlie Gluon", f"Author {n}"]),
        published=feature_day - dt.timedelta(days=1),
        hf_upvotes=upvotes,
        featured_on=feature_day,
        featured_at=dt.datetime.combine(feature_day, dt.time(hour), tzinfo=dt.UTC),
        categories=fields.pop("categories", ["cs.LG"]),
        **fields,
    )


@pytest.fixture
def week_of_papers(db):
    """Monday: 14 papers (so a digest of 10 leaves some out), two of them cs.CL, one from Lantern Lab
    with code; Tuesday to Friday: 3 papers a day; nothing at the weekend."""
    records = [paper(n, day(0), upvotes=n) for n in range(1, 15)]
    records[2] = paper(3, day(0), upvotes=3, categories=["cs.CL", "cs.LG"])
    records[4] = paper(5, day(0), upvotes=5, categories=["cs.CL"], organization=OrgRecord("Lantern Lab", "lantern"),
                       github_repo="https://github.com/alice/lanterns")
    records += [paper(100 + 10 * d + k, day(d), upvotes=k + 1) for d in range(1, 5) for k in range(3)]
    result = upsert_papers(records)
    assert not result.rejected, result.rejected


def subscribe(email, frequency="daily", due=None, user=None, **focus):
    """An active subscription, due at ``due`` (default: the Tuesday 07:00 slot)."""
    subscription = Subscription.objects.create(
        email=email, frequency=frequency, status=Subscription.Status.ACTIVE, user=user,
        next_digest_at=due or at(day(1), 7, 0), created_at=at(day(-7)),
        focus_categories=focus.get("categories", ""), focus_keywords=focus.get("keywords", ""),
    )
    return subscription
