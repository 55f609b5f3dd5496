"""``POST /api/v1/submissions`` runs the web's submit (``community/submit.py``: the same rules, the same
write path) and turns its refusal into a status a client can act on (400, 403, 404, 409, 429 or 503).
Which rule refused is read back from the state it left, never parsed out of its sentence for people.
"""

import datetime as dt
import math

from django.conf import settings
from django.utils import timezone

from dailypapers.community import submit
from dailypapers.lib import arxiv_ids, calendar
from dailypapers.papers.models import Paper
from dailypapers.sources import arxiv_api
from dailypapers.sources.http import HttpError

from .errors import ApiError

# After arXiv failed to answer: worth another try in a minute, not at once.
ARXIV_RETRY_AFTER_S = 60


class WatchedArxiv:
    """The arXiv client ``submit`` uses, noting what its look-up came to."""

    def __init__(self, client):
        self.client = client
        self.outcome = None  # None (not asked), "unreachable", "unknown" or "found"

    def lookup(self, ids):
        try:
            records = list(self.client.lookup(ids))
        except arxiv_api.ArxivApiError:
            self.outcome = "unknown"
            raise
        except (HttpError, OSError):
            self.outcome = "unreachable"
            raise
        self.outcome = "found" if any(r.arxiv_id in ids and r.title for r in records) else "unknown"
        return records


def feature(user, text):
    """Feature the paper ``text`` names, submitted by ``user``; ApiError saying why when refused."""
    watched = WatchedArxiv(submit.default_api())
    try:
        return submit.submit(user, text, api=watched)
    except submit.SubmitError as exc:
        raise refusal(user, text, watched.outcome, str(exc)) from None


def refusal(user, text, outcome, message):
    try:
        arxiv_id = arxiv_ids.normalize(text)
    except arxiv_ids.InvalidArxivId:
        return ApiError(400, "invalid_id", message)
    paper = Paper.objects.filter(arxiv_id=arxiv_id).select_related("submission").first()
    if paper is not None and paper.hidden:
        return ApiError(403, "not_submittable", message)
    if paper is not None and getattr(paper, "submission", None) is not None:
        return ApiError(409, "already_featured", message)
    if submit.today_count(user) >= settings.SUBMIT_DAILY_CAP:
        return ApiError(429, "daily_cap", message, headers={"Retry-After": str(seconds_to_next_feed_day())})
    if outcome == "unreachable":
        return ApiError(503, "arxiv_unavailable", message, headers={"Retry-After": str(ARXIV_RETRY_AFTER_S)})
    if outcome == "unknown":
        return ApiError(404, "unknown_paper", message)
    return ApiError(400, "too_old", message)


def seconds_to_next_feed_day():
    """Until today's feed day closes: the day rolls over at ``HF_ROLLOVER`` Eastern on its own date."""
    now = timezone.now()
    closes = dt.datetime.combine(calendar.current_feed_day(now), calendar.HF_ROLLOVER, tzinfo=calendar.EASTERN)
    return max(1, math.ceil((closes - now).total_seconds()))
