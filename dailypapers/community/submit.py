"""Submitting a paper by arXiv id or URL: the rules, then the one write path.

Rules (each refusal is a SubmitError with the message shown to the user): the text must be an arXiv
id or URL; the paper must not be featured already; it must be at most ``SUBMIT_MAX_AGE_DAYS`` days
past its first version; the user may submit at most ``SUBMIT_DAILY_CAP`` papers a feed day.
Metadata comes from the database when it has the paper, else from the arXiv API. The paper is featured
on the current feed day (``lib.calendar``) through ``upsert_papers``; the Submission row — one per
paper — is claimed for the user with a conditional UPDATE, so of two people submitting the same paper
at once exactly one becomes its submitter and the other is told it is featured already.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from dailypapers.lib import arxiv_ids, calendar
from dailypapers.papers.models import Paper, Submission
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.upsert import upsert_papers
from dailypapers.sources import arxiv_api
from dailypapers.sources.http import HttpError, PoliteClient

log = logging.getLogger(__name__)

# A person is waiting on the page: fail fast rather than back off for minutes as the harvester does.
WEB_CLIENT_OPTIONS = {"timeout": 15.0, "max_attempts": 2, "backoff_base": 1.0, "backoff_cap": 3.0}


class SubmitError(ValueError):
    """A refused submission; the message is shown to the user."""


@dataclass
class Submitted:
    paper: Paper
    submission: Submission


def submit(user, text, now=None, api=None):
    """Feature the paper ``text`` names on the current feed day, submitted by ``user``."""
    now = now or timezone.now()
    arxiv_id = _parse(text)
    day = calendar.current_feed_day(now)
    paper = Paper.objects.filter(arxiv_id=arxiv_id).select_related("submission").first()
    _check_not_featured(paper)
    _check_daily_cap(user, day)
    record = _local_record(paper) if paper else _fetch_record(arxiv_id, api)
    _check_age(record.published, now.date())
    record.featured_on, record.featured_at = day, now
    record.submitted_by, record.source = user.get_username(), "local"
    result = upsert_papers([record])
    if result.rejected:
        log.info("submission of %s not stored: %s", arxiv_id, result.rejected)
    return _claim(user, arxiv_id, day)


def _parse(text):
    try:
        return arxiv_ids.normalize(text)
    except arxiv_ids.InvalidArxivId:
        raise SubmitError("That is not an arXiv id or arXiv link. Paste an id such as 2501.01234 or "
                          "hep-th/9901001, or a link to its abs, pdf or html page.") from None


def _check_not_featured(paper):
    if paper is None:
        return
    if paper.hidden:
        raise SubmitError(f"arXiv:{paper.arxiv_id} cannot be submitted here.")
    submission = getattr(paper, "submission", None)
    if submission is not None:
        raise SubmitError(f"arXiv:{paper.arxiv_id} is already featured, on {submission.feed_day:%B %-d, %Y}.")


def _check_daily_cap(user, day):
    cap = settings.SUBMIT_DAILY_CAP
    if Submission.objects.filter(submitter=user, feed_day=day).count() >= cap:
        raise SubmitError(f"You have submitted {cap} paper{'s' if cap != 1 else ''} for today's list, the "
                          "daily limit. Please come back tomorrow.")


def _check_age(published, today):
    limit = settings.SUBMIT_MAX_AGE_DAYS
    if published is not None and (today - published).days > limit:
        raise SubmitError(f"This paper was first published on {published:%B %-d, %Y}, more than {limit} days "
                          "ago: only recent papers can be submitted.")


def _local_record(paper):
    """A record that only features the paper: every field left None keeps what the database has."""
    return PaperRecord(arxiv_id=paper.arxiv_id, title=paper.title, published=paper.published)


def _fetch_record(arxiv_id, api=None):
    api = api or default_api()
    try:
        records = list(api.lookup([arxiv_id]))
    except arxiv_api.ArxivApiError as exc:
        raise SubmitError(f"arXiv does not know arXiv:{arxiv_id} ({exc.message}).") from None
    except (HttpError, OSError) as exc:
        log.warning("arXiv lookup of %s failed: %s", arxiv_id, exc)
        raise SubmitError("arXiv could not be reached just now. Please try again in a few minutes.") from None
    match = [r for r in records if r.arxiv_id == arxiv_id and r.title]
    if not match:
        raise SubmitError(f"arXiv has no paper arXiv:{arxiv_id}. Check the id.")
    return match[0]


def _claim(user, arxiv_id, day):
    """Make ``user`` the submitter of the Submission this request created; refuse if another won."""
    claimed = Submission.objects.filter(paper__arxiv_id=arxiv_id, feed_day=day, submitter__isnull=True,
                                        submitter_name=user.get_username(), source="local").update(submitter=user)
    submission = Submission.objects.filter(paper__arxiv_id=arxiv_id).select_related("paper").first()
    if not claimed or submission is None:
        raise SubmitError(f"arXiv:{arxiv_id} is already featured"
                          f"{f', on {submission.feed_day:%B %-d, %Y}' if submission else ''}.")
    return Submitted(paper=submission.paper, submission=submission)


_default_api = None


def default_api():
    """One client per process, so the politeness interval towards arXiv holds across requests."""
    global _default_api
    base_url = settings.ARXIV_API_BASE_URL
    if _default_api is None or _default_api.base_url != base_url:
        options = {"min_interval": settings.ARXIV_MIN_INTERVAL_S, **WEB_CLIENT_OPTIONS}
        _default_api = arxiv_api.ArxivApi(PoliteClient(**options), base_url=base_url, batch_size=1)
    return _default_api


def today_count(user, now=None):
    """How many papers the user submitted for the current feed day (for the submit page)."""
    day = calendar.current_feed_day(now or timezone.now())
    return Submission.objects.filter(submitter=user, feed_day=day).count()

