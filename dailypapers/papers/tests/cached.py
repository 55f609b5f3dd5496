"""What the page-cache tests share (here, the API's and search's): a featured paper and a hit."""

import datetime as dt

from dailypapers.papers.records import OrgRecord, PaperRecord

MONDAY = dt.date(2026, 3, 2)


def feature(n, upvotes, day=MONDAY, org=False):
    """Invented paper ``n``, featured on ``day`` by HF with ``upvotes``; of Acme Lab when ``org``."""
    return PaperRecord(arxiv_id=f"2603.{n:05d}", title=f"Paper {n}", authors=["Alice Quark"], hf_upvotes=upvotes,
                       categories=["cs.LG"], organization=OrgRecord(name="Acme Lab", slug="acme") if org else None,
                       featured_on=day, featured_at=dt.datetime.combine(day, dt.time(4), tzinfo=dt.UTC))


def hit(response):
    """Whether the page cache answered."""
    return response.get("X-Page-Cache") == "hit"
