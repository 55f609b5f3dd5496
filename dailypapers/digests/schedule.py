"""When digests go out (slots) and which feed days each one covers (periods).

A *slot* is the moment a digest is due: DIGEST_HOUR_UTC on weekdays for daily subscribers, on Mondays
for weekly ones. A digest covers the feed days since the previous slot up to the day before its own,
so the daily one on Tuesday morning is Monday's papers, on Monday morning Friday's to Sunday's, and
the weekly one is last week's. A worker that was down catches up with one digest for the days it
missed (at most a week), never with a pile of stale ones.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

DAILY, WEEKLY = "daily", "weekly"
SLOT_WEEKDAYS = {DAILY: frozenset(range(5)), WEEKLY: frozenset({0})}
MAX_PERIOD_DAYS = 7
# Slots are at most 3 days apart (Friday → Monday), a week for weekly: 8 days always finds one.
SEARCH_DAYS = 8


def _slot_on(day):
    return dt.datetime.combine(day, dt.time(settings.DIGEST_HOUR_UTC), tzinfo=dt.UTC)


def _slots_around(frequency, moment, direction):
    day = moment.astimezone(dt.UTC).date()
    for offset in range(-1, SEARCH_DAYS + 1):
        slot = _slot_on(day + dt.timedelta(days=direction * offset))
        if slot.weekday() in SLOT_WEEKDAYS[frequency]:
            yield slot


def next_slot(frequency, after):
    """The first slot strictly after ``after``."""
    return next(slot for slot in _slots_around(frequency, after, 1) if slot > after)


def latest_slot(frequency, at):
    """The last slot at or before ``at``."""
    return next(slot for slot in _slots_around(frequency, at, -1) if slot <= at)


@dataclass(frozen=True)
class DigestPeriod:
    frequency: str
    first: dt.date
    last: dt.date
    slot: dt.datetime  # also the trending reference: everyone gets the same ranking, whenever built

    @property
    def key(self):
        """Unique per subscriber and digest: the outbox row is unique on it."""
        return f"{self.frequency}:{self.slot.date().isoformat()}"

    @property
    def label(self):
        if self.frequency == WEEKLY:
            year, week, _ = self.first.isocalendar()
            return f"Week {week}, {year}"
        if self.first == self.last:
            return f"{self.last:%A, %B} {self.last.day}"
        # Plain ASCII: the label goes into subjects, and an ASCII subject needs no RFC 2047 encoding.
        return f"{self.first:%B} {self.first.day} to {self.last:%B} {self.last.day}"


def period_for(frequency, due_since, now):
    """The period of the digest due at ``now`` for a subscriber due since ``due_since``."""
    slot = latest_slot(frequency, now)
    last = slot.date() - dt.timedelta(days=1)
    first_due = latest_slot(frequency, min(due_since, slot))
    first = latest_slot(frequency, first_due - dt.timedelta(microseconds=1)).date()
    return DigestPeriod(frequency, max(first, last - dt.timedelta(days=MAX_PERIOD_DAYS - 1)), last, slot)
