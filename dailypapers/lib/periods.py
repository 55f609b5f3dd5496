"""Feed periods (a day, an ISO week, a month) parsed from and formatted for URLs."""

import calendar
import datetime as dt
import re
from dataclasses import dataclass

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class BadPeriod(ValueError):
    pass


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
        """The period ``steps`` periods later (negative: earlier)."""
        if self.kind == "day":
            return day(self.first + dt.timedelta(days=steps))
        if self.kind == "week":
            return week_of(self.first + dt.timedelta(weeks=steps))
        month_index = self.first.year * 12 + self.first.month - 1 + steps
        return month_of(dt.date(month_index // 12, month_index % 12 + 1, 1))

    def end_datetime(self):
        """The instant the period closes (UTC), used as the trending reference time."""
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def day(value):
    return Period("day", value, value)


def week_of(value):
    first = value - dt.timedelta(days=value.weekday())
    return Period("week", first, first + dt.timedelta(days=6))


def month_of(value):
    first = value.replace(day=1)
    return Period("month", first, first.replace(day=calendar.monthrange(first.year, first.month)[1]))


def parse_day(text):
    try:
        return day(dt.date.fromisoformat(text))
    except (TypeError, ValueError):
        raise BadPeriod(f"not a date (YYYY-MM-DD): {text!r}") from None


def parse_week(text):
    match = _WEEK.match(text or "")
    try:
        return week_of(dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1))
    except (AttributeError, ValueError):
        raise BadPeriod(f"not an ISO week (YYYY-Www): {text!r}") from None


def parse_month(text):
    match = _MONTH.match(text or "")
    try:
        return month_of(dt.date(int(match.group(1)), int(match.group(2)), 1))
    except (AttributeError, ValueError):
        raise BadPeriod(f"not a month (YYYY-MM): {text!r}") from None


PARSERS = {"day": parse_day, "week": parse_week, "month": parse_month}
