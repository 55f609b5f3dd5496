"""Test helpers for the community tests: the personas and a few invented papers."""

import datetime as dt

from django.utils import timezone

from dailypapers.accounts.models import User
from dailypapers.papers.models import Paper
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.upsert import upsert_papers

PASSWORD = "tidal-gradient-42"


def make_user(username, verified=True, staff=False, **fields):
    user = User.objects.create_user(username, f"{username}@example.org", PASSWORD, is_staff=staff, **fields)
    if verified:
        User.objects.filter(pk=user.pk).update(email_verified_at=timezone.now())
        user.refresh_from_db()
    return user


def paper_record(n, day=None, **fields):
    """An invented paper ``2603.000nn``; featured on ``day`` when given."""
    published = fields.pop("published", (day or timezone.now().date()) - dt.timedelta(days=1))
    return PaperRecord(
        arxiv_id=fields.pop("arxiv_id", f"2603.{n:05d}"), title=fields.pop("title", f"Invented paper number {n}"),
        abstract=fields.pop("abstract", f"An abstract written for test paper {n}."),
        authors=fields.pop("authors", ["Ilse Varga", "Tomasz Oyelaran", f"Author {n}"]),
        published=published, categories=fields.pop("categories", ["cs.LG"]), version=1,
        featured_on=day, **fields,
    )


def make_papers(*numbers, day=None, **fields):
    records = [paper_record(n, day, **fields) for n in numbers]
    result = upsert_papers(records)
    assert result.rejected == []
    return [Paper.objects.get(arxiv_id=r.arxiv_id) for r in records]
