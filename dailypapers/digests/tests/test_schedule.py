import datetime as dt

import pytest

from dailypapers.digests import schedule

from .conftest import at, day

FRIDAY, SATURDAY, MONDAY_AFTER = day(4), day(5), day(7)


@pytest.fixture(autouse=True)
def seven_utc(settings):
    settings.DIGEST_HOUR_UTC = 7


def test_it_puts_daily_slots_on_weekday_mornings():
    assert schedule.next_slot("daily", at(day(0), 6, 59)) == at(day(0), 7, 0)
    assert schedule.next_slot("daily", at(day(0), 7, 0)) == at(day(1), 7, 0)  # strictly after
    assert schedule.next_slot("daily", at(FRIDAY, 8)) == at(MONDAY_AFTER, 7, 0)
    assert schedule.next_slot("daily", at(SATURDAY, 8)) == at(MONDAY_AFTER, 7, 0)
    assert schedule.latest_slot("daily", at(SATURDAY, 8)) == at(FRIDAY, 7, 0)
    assert schedule.latest_slot("daily", at(day(2), 7, 0)) == at(day(2), 7, 0)  # at or before


def test_it_puts_weekly_slots_on_monday_mornings():
    assert schedule.next_slot("weekly", at(day(0), 6)) == at(day(0), 7, 0)
    assert schedule.next_slot("weekly", at(day(0), 8)) == at(MONDAY_AFTER, 7, 0)
    assert schedule.latest_slot("weekly", at(day(6), 23)) == at(day(0), 7, 0)


def test_the_hour_is_a_setting(settings):
    settings.DIGEST_HOUR_UTC = 18
    assert schedule.next_slot("daily", at(day(0), 8)) == at(day(0), 18, 0)


def test_a_slot_works_in_any_time_zone():
    paris = dt.timezone(dt.timedelta(hours=1))
    assert schedule.next_slot("daily", dt.datetime(2026, 3, 3, 7, 30, tzinfo=paris)) == at(day(1), 7, 0)


@pytest.mark.parametrize(
    ("frequency", "due_since", "now", "first", "last", "key", "label"),
    [
        ("daily", at(day(1), 7, 0), at(day(1)), day(0), day(0), "daily:2026-03-03", "Monday, March 2"),
        ("daily", at(MONDAY_AFTER, 7, 0), at(MONDAY_AFTER), FRIDAY, day(6), "daily:2026-03-09",
         "March 6 to March 8"),
        # Down since Tuesday, back on Thursday: one digest for Monday to Wednesday.
        ("daily", at(day(1), 7, 0), at(day(3), 12), day(0), day(2), "daily:2026-03-05", "March 2 to March 4"),
        # Down for weeks: at most the last seven days.
        ("daily", at(day(-20), 7, 0), at(day(3)), day(-4), day(2), "daily:2026-03-05", "February 26 to March 4"),
        ("weekly", at(MONDAY_AFTER, 7, 0), at(MONDAY_AFTER), day(0), day(6), "weekly:2026-03-09", "Week 10, 2026"),
    ],
)
def test_a_digest_covers_the_feed_days_since_the_previous_slot(frequency, due_since, now, first, last, key, label):
    period = schedule.period_for(frequency, due_since, now)
    assert (period.first, period.last, period.key, period.label) == (first, last, key, label)
    assert period.slot == schedule.latest_slot(frequency, now)
