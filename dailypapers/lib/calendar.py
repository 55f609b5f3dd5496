"""The feed-day calendar: which day's list a moment belongs to, and when sources have something new.

Hugging Face lists one day per weekday, rolling over at ``HF_ROLLOVER`` (14:00 US/Eastern; how that
hour was found is in docs/ranking.md). arXiv announces at 20:00 US/Eastern, Sunday to Thursday,
except on its published holidays (``ARXIV_HOLIDAYS``; extend the set as arXiv posts new ones).
"""

import datetime as dt
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")
HF_ROLLOVER = dt.time(14, 0)
ARXIV_ANNOUNCEMENT = dt.time(20, 0)
# Days on which arXiv makes no announcement although the weekday would have one (the evening before
# the date listed here has no mailing). From arXiv's published holiday schedules.
ARXIV_HOLIDAYS = frozenset(
    dt.date.fromisoformat(d)
    for d in [
        "2024-12-25", "2025-01-01", "2025-12-25", "2026-01-01", "2026-12-25", "2027-01-01",
    ]
)
WEEKEND = (5, 6)  # Saturday, Sunday
# The days the site can have lists for: from before arXiv's first paper (1991) to far enough ahead that
# date arithmetic on them (the next day, week or month) never leaves Python's date range.
FIRST_DAY = dt.date(1990, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)


def check_supported(day):
    """``day``, or ValueError when it is outside FIRST_DAY..LAST_DAY (a URL's date at the calendar's
    edge would otherwise overflow further on)."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{day.isoformat()} is outside the supported days, {FIRST_DAY} to {LAST_DAY}")
    return day


def now():
    return dt.datetime.now(dt.UTC)


def _eastern(moment):
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware one (UTC)")
    return moment.astimezone(EASTERN)


def next_weekday(day):
    day += dt.timedelta(days=1)
    while day.weekday() in WEEKEND:
        day += dt.timedelta(days=1)
    return day


def is_feed_day(day):
    return day.weekday() not in WEEKEND


def hf_feed_day(moment):
    """The Hugging Face list a submission made at ``moment`` belongs to."""
    local = _eastern(moment)
    day = local.date() + dt.timedelta(days=1 if local.time() >= HF_ROLLOVER else 0)
    while not is_feed_day(day):
        day += dt.timedelta(days=1)
    return day


def current_feed_day(moment=None):
    """The feed day being filled right now ("today" on the site)."""
    return hf_feed_day(moment or now())


def latest_complete_feed_day(moment=None):
    """The last feed day whose list is closed: the one before the day being filled."""
    day = current_feed_day(moment) - dt.timedelta(days=1)
    while not is_feed_day(day):
        day -= dt.timedelta(days=1)
    return day


def announces_on_evening_of(day):
    """Whether arXiv announces at 20:00 Eastern on ``day`` (Sunday–Thursday, not before a holiday)."""
    if day.weekday() in (4, 5):  # Friday and Saturday evenings are skip days
        return False
    return (day + dt.timedelta(days=1)) not in ARXIV_HOLIDAYS


def last_arxiv_announcement(moment=None):
    """The aware datetime of the most recent arXiv announcement at or before ``moment``."""
    local = _eastern(moment or now())
    day = local.date() if local.time() >= ARXIV_ANNOUNCEMENT else local.date() - dt.timedelta(days=1)
    while not announces_on_evening_of(day):
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, ARXIV_ANNOUNCEMENT, tzinfo=EASTERN)


def next_arxiv_announcement(moment=None):
    """The aware datetime of the next arXiv announcement after ``moment``."""
    local = _eastern(moment or now())
    day = local.date() if local.time() < ARXIV_ANNOUNCEMENT else local.date() + dt.timedelta(days=1)
    while not announces_on_evening_of(day):
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, ARXIV_ANNOUNCEMENT, tzinfo=EASTERN)
