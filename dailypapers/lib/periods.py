"""Feed periods (a day, an ISO week, a month) parsed from and formatted for URLs."""

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from . import calendar as feed_calendar

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class BadPeriod(ValueError):
    pass


class OutOfRange(BadPeriod):
    """A well-formed period outside the supported days (lib.calendar.FIRST_DAY..LAST_DAY)."""


@dataclass(frozen=True)
class Period:
    kind: str  # "day" | "week" | "month"
    first: dt.date
    last: dt.date

    @property
    def key(self):
        if self.kind == "day":
            return self.first.isoformat()
        if self.kind == "week":
            year, week, _ = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        return self.first.strftime("%Y-%m")

    @property
    def label(self):
        if self.kind == "day":
            return self.first.strftime("%A, %B %-d, %Y")
        if self.kind == "week":
            year, week, _ = self.first.isocalendar()
            return f"Week {week}, {year} ({self.first:%b %-d} – {self.last:%b %-d})"
        return self.first.strftime("%B %Y")

    def shifted(self, steps):
        """The period ``steps`` periods later (negative: earlier); OutOfRange past the supported days."""
        try:
            if self.kind == "day":
                return day(self.first + dt.timedelta(days=steps))
            if self.kind == "week":
                return week_of(self.first + dt.timedelta(weeks=steps))
        except OverflowError:
            raise OutOfRange(f"no {self.kind} {steps} from {self.key}") from None
        month_index = self.first.year * 12 + self.first.month - 1 + steps
        if not 1 <= month_index // 12 <= dt.MAXYEAR:
            raise OutOfRange(f"no month {steps} from {self.key}")
        return month_of(dt.date(month_index // 12, month_index % 12 + 1, 1))

    def end_datetime(self):
        """The instant the period closes (UTC), used as the trending reference time."""
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def _supported(value):
    try:
        return feed_calendar.check_supported(value)
    except ValueError as exc:
        raise OutOfRange(str(exc)) from None


def day(value):
    return Period("day", _supported(value), value)


def week_of(value):
    first = _supported(value) - dt.timedelta(days=value.weekday())
    return Period("week", first, first + dt.timedelta(days=6))


def month_of(value):
    first = _supported(value).replace(day=1)
    return Period("month", first, first.replace(day=calendar.monthrange(first.year, first.month)[1]))


def parse_day(text):
    try:
        value = dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise BadPeriod(f"not a date (YYYY-MM-DD): {text!r}") from None
    return day(value)


def parse_week(text):
    match = _WEEK.match(text or "")
    try:
        value = dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except (AttributeError, ValueError):
        raise BadPeriod(f"not an ISO week (YYYY-Www): {text!r}") from None
    return week_of(value)


def parse_month(text):
    match = _MONTH.match(text or "")
    try:
        value = dt.date(int(match.group(1)), int(match.group(2)), 1)
    except (AttributeError, ValueError):
        raise BadPeriod(f"not a month (YYYY-MM): {text!r}") from None
    return month_of(value)


PARSERS = {"day": parse_day, "week": parse_week, "month": parse_month}
