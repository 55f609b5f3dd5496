import datetime as dt
import gzip
import json

import pytest

from dailypapers.lib import calendar

ET = calendar.EASTERN


def at(text):
    """An Eastern wall-clock time as an aware datetime."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=ET)


@pytest.mark.parametrize("moment, day", [
    ("2026-03-02 09:00", "2026-03-02"),  # Monday morning: Monday's list
    ("2026-03-02 15:00", "2026-03-03"),  # Monday afternoon: Tuesday's
    ("2026-03-06 15:00", "2026-03-09"),  # Friday afternoon: Monday's
    ("2026-03-07 10:00", "2026-03-09"),  # Saturday: Monday's
    ("2026-03-08 23:00", "2026-03-09"),  # Sunday night: Monday's
])
def test_hf_feed_day_rolls_over_in_the_afternoon_and_skips_weekends(moment, day):
    assert calendar.hf_feed_day(at(moment)) == dt.date.fromisoformat(day)


def test_the_latest_complete_day_is_the_weekday_before_the_current_one():
    assert calendar.latest_complete_feed_day(at("2026-03-09 09:00")) == dt.date(2026, 3, 6)
    assert calendar.latest_complete_feed_day(at("2026-03-10 09:00")) == dt.date(2026, 3, 9)


def test_arxiv_announces_sunday_to_thursday_at_eight_pm_eastern():
    assert calendar.next_arxiv_announcement(at("2026-03-05 19:59")) == at("2026-03-05 20:00")  # Thursday
    assert calendar.next_arxiv_announcement(at("2026-03-05 20:00")) == at("2026-03-08 20:00")  # → Sunday
    assert calendar.last_arxiv_announcement(at("2026-03-07 12:00")) == at("2026-03-05 20:00")  # Saturday
    assert calendar.last_arxiv_announcement(at("2026-03-09 20:30")) == at("2026-03-09 20:00")


def test_arxiv_holidays_have_no_announcement_the_evening_before():
    assert not calendar.announces_on_evening_of(dt.date(2026, 12, 24))
    assert calendar.next_arxiv_announcement(at("2026-12-24 08:00")) == at("2026-12-27 20:00")


def test_it_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        calendar.hf_feed_day(dt.datetime(2026, 3, 2, 9))


@pytest.mark.shared
def test_the_rollover_matches_where_hugging_face_put_real_submissions(shared_dir):
    matched = total = 0
    with gzip.open(shared_dir / "data" / "hf-daily-papers.jsonl.gz", "rt") as lines:
        for line in lines:
            row = json.loads(line)
            moment = dt.datetime.fromisoformat(row["submitted_on_daily_at"].replace("Z", "+00:00"))
            matched += calendar.hf_feed_day(moment).isoformat() == row["daily_date"]
            total += 1
    assert total == 9877
    assert matched / total > 0.98, f"only {matched}/{total} submissions land on their recorded day"
