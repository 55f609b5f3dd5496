"""How far search by meaning has come: papers with a vector out of all visible papers, and a rough
time to go from the rate of the last minutes. Shown on the search page and logged by the worker
while a large import is being embedded."""

import datetime as dt
import threading
import time
from dataclasses import dataclass

from django.db.models import Count, Min, Q
from django.utils import timezone

from dailypapers.papers.models import Paper

from .models import PaperEmbedding

RATE_WINDOW = dt.timedelta(minutes=2)
MIN_RATE_SPAN_S = 10.0
CACHE_S = 15.0  # web processes ask on every search page: count at most this often
_cached = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Progress:
    embedded: int
    total: int
    per_second: float

    @property
    def complete(self):
        return self.embedded >= self.total

    @property
    def minutes_left(self):
        """Whole minutes to go at the recent rate (at least 1), or None when nothing moved lately."""
        if self.complete or self.per_second <= 0:
            return None
        return max(1, round((self.total - self.embedded) / self.per_second / 60))

    def __str__(self):
        line = f"meaning search: {self.embedded:,} of {self.total:,} papers"
        if self.minutes_left is not None:
            line += f", about {self.minutes_left} min"
        return line


def measure():
    now = timezone.now()
    embedded = PaperEmbedding.objects.filter(Q(paper__hidden=False), vector__isnull=False)
    recent = embedded.filter(embedded_at__gte=now - RATE_WINDOW).aggregate(n=Count("pk"), since=Min("embedded_at"))
    # The rate over the time vectors were actually being written: a run that began a minute ago is
    # not diluted over the whole window.
    seconds = max((now - recent["since"]).total_seconds(), MIN_RATE_SPAN_S) if recent["n"] else 1.0
    return Progress(embedded.count(), Paper.objects.visible().count(), recent["n"] / seconds)


def current():
    """``measure()``, at most once every CACHE_S seconds per process."""
    with _lock:
        at, value = _cached.get("progress", (None, None))
        if at is not None and time.monotonic() - at < CACHE_S:
            return value
    value = measure()
    with _lock:
        _cached["progress"] = (time.monotonic(), value)
    return value


def reset():
    _cached.clear()
