"""Data for tests that run ``dailypapers send_digests`` as separate processes, which use the real
clock: papers on the feed day the current daily digest covers, and subscribers due for it.

    dailypapers shell -c "from dailypapers.digests.tests.seed import seed; seed(100)"
"""

import datetime as dt

from django.utils import timezone

from dailypapers.digests import schedule
from dailypapers.digests.models import Subscription
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.upsert import upsert_papers


def seed(subscribers, papers=12):
    now = timezone.now()
    slot = schedule.latest_slot(schedule.DAILY, now)
    covered = slot.date() - dt.timedelta(days=1)
    upsert_papers(
        PaperRecord(arxiv_id=f"2603.{n:05d}", title=f"Seeded paper {n}", abstract=f"Abstract {n}.",
                    authors=["Alice Quark"], hf_upvotes=n, featured_on=covered,
                    featured_at=dt.datetime.combine(covered, dt.time(9), tzinfo=dt.UTC))
        for n in range(1, papers + 1)
    )
    Subscription.objects.bulk_create(
        Subscription(email=f"reader{n}@example.org", status=Subscription.Status.ACTIVE, next_digest_at=slot,
                     created_at=now)
        for n in range(subscribers)
    )
