"""The worker's avatar job: fetch the avatars pages show, a few at a time, into ``lib.avatars``."""

import itertools
import logging

from dailypapers.lib import avatars
from dailypapers.papers.models import Organization, Submission

from .http import HttpError, PoliteClient

log = logging.getLogger(__name__)
BATCH = 40  # avatars a run: the worker runs the job again at once while more wait
_client = None


def client():
    global _client  # noqa: PLW0603 - one polite client per process, as for the other sources
    _client = _client or PoliteClient(min_interval=0.2, timeout=20, max_attempts=3, backoff_base=2.0)
    return _client


def wanted():
    """Every avatar URL a page may show: organizations' and submitters'."""
    urls = set(Organization.objects.exclude(avatar_url="").values_list("avatar_url", flat=True))
    for profile, daily in Submission.objects.values_list("submitter_profile", "daily_submitter"):
        for person in (profile, daily):
            if isinstance(person, dict) and isinstance(person.get("avatarUrl"), str):
                urls.add(person["avatarUrl"])
    return sorted(urls)


def run_due():
    """Fetch up to BATCH avatars that are due; True while more are due (the worker reruns at once)."""
    # Stops looking past the first one beyond the batch: a backlog is worked through in reruns, and
    # each would otherwise check every kept file again.
    due = list(itertools.islice((url for url in wanted() if avatars.due(url)), BATCH + 1))
    for url in due[:BATCH]:
        fetch_one(url)
    return len(due) > BATCH


def fetch_one(url):
    try:
        avatars.store(url, client().get(avatars.source_url(url)).body)
    except (HttpError, ValueError) as exc:
        log.warning("avatar %s not kept: %s", avatars.source_url(url), exc)
        avatars.mark_failed(url)
