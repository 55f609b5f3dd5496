"""Keeping papers fresh: each source runs when due, resumes from its checkpoint, and never half-applies a page.

A source is a small class with ``run(state) -> counts`` and ``next_due(now)``; ``run_source`` wraps it
with the claim (a conditional UPDATE, so two overlapping ``sync`` runs never both run a source), the
error record and the schedule. Every page of records is stored in one transaction together with the
checkpoint that follows it, so a run killed at any point resumes exactly after the last stored page.
"""

import datetime as dt
import logging
import traceback

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dailypapers.lib import calendar
from dailypapers.papers.records import RecordError
from dailypapers.papers.upsert import UpsertResult, refresh_statistics, upsert_papers

from .models import SourceState

log = logging.getLogger(__name__)


def store_page(state, records, checkpoint, totals):
    """Upsert one page and move the checkpoint past it, atomically. ``records`` may hold RecordErrors."""
    good = [r for r in records if not isinstance(r, RecordError)]
    with transaction.atomic():
        result = upsert_papers(good)
        result.rejected.extend(("entry", str(r)) for r in records if isinstance(r, RecordError))
        state.save_checkpoint(checkpoint)
    totals.add(result)
    return result


def counts_of(result):
    return {"created": result.created, "updated": result.updated, "unchanged": result.unchanged,
            "rejected": len(result.rejected), "problems": [f"{o}: {r}" for o, r in result.rejected[:20]]}


class HfDailySource:
    """The Hugging Face daily list: backfills ``HF_BACKFILL_DAYS`` feed days on first run, then re-reads
    the last ``HF_REFRESH_DAYS`` days each hour (their upvote counts keep growing) and any new day."""

    name = "hf"

    def __init__(self, client=None):
        from .hf_api import HfDailyPapers

        self.api = HfDailyPapers(client=client)

    def days(self, checkpoint, now):
        """Feed days to (re)read: the backfill window on a first run, else from a little before the last
        day stored through the current one."""
        today = calendar.current_feed_day(now)
        if checkpoint.get("synced_through"):
            refresh = dt.timedelta(days=settings.HF_REFRESH_DAYS)
            start = dt.date.fromisoformat(checkpoint["synced_through"]) - refresh
        else:
            start = today - dt.timedelta(days=settings.HF_BACKFILL_DAYS)
        span = (today - start).days + 1
        return [d for d in (start + dt.timedelta(days=n) for n in range(span)) if calendar.is_feed_day(d)]

    def run(self, state, now):
        totals = UpsertResult()
        days = self.days(state.checkpoint, now)
        for done, day in enumerate(days, start=1):
            pages = list(self.api.day(day))  # a whole day, then one transaction: never half a day
            checkpoint = state.checkpoint | {"synced_through": max(day.isoformat(),
                                                                   state.checkpoint.get("synced_through", "")),
                                             "progress": {"done": done, "total": len(days)}}
            store_page(state, [r for page in pages for r in page], checkpoint, totals)
        return totals

    def next_due(self, now):
        return now + dt.timedelta(seconds=settings.HF_SYNC_INTERVAL_S)


class ArxivOaiSource:
    """arXiv OAI-PMH ``ListRecords`` for the configured set: a backfill from ``ARXIV_OAI_FROM``, then
    daily deltas from the server's last response date. The resumption token is the checkpoint."""

    name = "arxiv_oai"

    def __init__(self, client=None):
        from .arxiv_oai import OaiHarvester
        from .http import PoliteClient

        client = client or PoliteClient(min_interval=settings.ARXIV_MIN_INTERVAL_S,
                                        timeout=settings.SOURCES_HTTP_TIMEOUT_S)
        self.harvester = OaiHarvester(client=client, base_url=settings.ARXIV_OAI_BASE_URL,
                                      metadata_prefix=settings.ARXIV_OAI_PREFIX)

    def run(self, state, now):
        from .arxiv_oai import OaiError

        try:
            return self._harvest(state)
        except OaiError as exc:
            if exc.code != "badResumptionToken":
                raise
            # Current-style tokens expire daily: start the same harvest again from its date.
            log.warning("resumption token expired; restarting the harvest from %s", state.checkpoint.get("from"))
            state.save_checkpoint({k: v for k, v in state.checkpoint.items() if k != "token"})
            return self._harvest(state)

    def _harvest(self, state):
        totals = UpsertResult()
        start = state.checkpoint.get("from") or settings.ARXIV_OAI_FROM or None
        pages = self.harvester.pages(from_date=start, set_spec=settings.ARXIV_OAI_SET or None,
                                     resumption_token=state.checkpoint.get("token"))
        next_from = state.checkpoint.get("next_from")
        for page in pages:
            next_from = next_from or (page.response_date or "")[:10] or None
            checkpoint = {"from": start, "token": page.token, "next_from": next_from}
            if page.token is None:  # the list is complete: the next run is a delta from the server's date
                checkpoint = {"from": next_from or start}
            store_page(state, page.records, checkpoint, totals)
        return totals

    def next_due(self, now):
        return calendar.next_arxiv_announcement(now) + dt.timedelta(minutes=settings.ARXIV_LAG_MINUTES)


class ArxivRssSource:
    """arXiv's announcement feed for the configured categories: what was announced today (new,
    cross-lists, replacements — a replacement records a new version)."""

    name = "arxiv_rss"

    def __init__(self, client=None):
        from .arxiv_rss import ArxivRss
        from .http import PoliteClient

        client = client or PoliteClient(min_interval=settings.ARXIV_MIN_INTERVAL_S,
                                        timeout=settings.SOURCES_HTTP_TIMEOUT_S)
        self.feed = ArxivRss(client=client, base_url=settings.ARXIV_RSS_BASE_URL)

    def run(self, state, now):
        totals = UpsertResult()
        announcements = self.feed.fetch(settings.ARXIV_CATEGORIES)
        announced = max((a.announced for a in announcements if a.announced), default=None)
        checkpoint = {"announced": announced.isoformat() if announced else state.checkpoint.get("announced"),
                      "by_type": _count_types(announcements)}
        store_page(state, [a.record for a in announcements], checkpoint, totals)
        return totals

    def next_due(self, now):
        return calendar.next_arxiv_announcement(now) + dt.timedelta(minutes=settings.ARXIV_LAG_MINUTES)


def _count_types(announcements):
    counts = {}
    for announcement in announcements:
        counts[announcement.announce_type] = counts.get(announcement.announce_type, 0) + 1
    return counts


SOURCES = {cls.name: cls for cls in (HfDailySource, ArxivOaiSource, ArxivRssSource)}


def enabled_sources():
    return [name for name in settings.SOURCES_ENABLED if name in SOURCES]


def run_source(name, *, force=False, now=None, source=None):
    """Run one source if it is due (or ``force``) and free; return its counts, or None if it did not run."""
    now = now or timezone.now()
    state = SourceState.for_source(name)
    if not force and not state.is_due(now):
        return None
    if not state.claim(now):
        log.info("%s: another run holds the claim", name)
        return None
    source = source or SOURCES[name]()
    try:
        result = source.run(state, now)
    except BaseException as exc:  # even SIGTERM's SystemExit: free the claim; the checkpoint says where to resume
        log.log(logging.INFO if isinstance(exc, SystemExit) else logging.ERROR, "%s stopped: %s", name, exc,
                exc_info=not isinstance(exc, SystemExit))
        retry = now + dt.timedelta(seconds=settings.SOURCES_RETRY_AFTER_FAILURE_S)
        state.release(counts={}, error=_describe(exc) if not isinstance(exc, SystemExit) else "interrupted",
                      next_due_at=state.next_due_at if isinstance(exc, SystemExit) else retry)
        raise
    state.release(counts=counts_of(result), next_due_at=source.next_due(now))
    refresh_statistics(result)
    return result


def run_due(now=None, force=False, names=None):
    """Run every enabled source that is due; a failing source does not stop the others."""
    ran = {}
    for name in names or enabled_sources():
        try:
            result = run_source(name, force=force, now=now)
        except Exception as exc:  # recorded on the SourceState by run_source
            ran[name] = _describe(exc)
            continue
        if result is not None:
            ran[name] = result
    return ran


def _describe(exc):
    return "".join(traceback.format_exception_only(exc)).strip()[:2000]
