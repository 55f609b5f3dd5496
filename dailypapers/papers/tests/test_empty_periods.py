"""What an empty day, week or month says: still to come, before the site's first papers, or a gap."""

import datetime as dt

import pytest

from dailypapers.accounts.tests.people import make_papers

pytestmark = pytest.mark.django_db

FIRST_DAY = dt.date(2026, 3, 2)  # a Monday
GAP_DAY = dt.date(2026, 3, 4)
LAST_DAY = dt.date(2026, 3, 6)


@pytest.fixture
def days(fresh_limits):
    make_papers(1, day=FIRST_DAY)
    make_papers(2, day=LAST_DAY)


def _empty_state(client, path):
    response = client.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    return page[page.index('class="empty-state"'):]


def test_a_future_day_has_not_come_yet(client, days):
    text = _empty_state(client, "/papers/date/2030-01-01")
    assert "has not come yet" in text and "holiday" not in text
    assert f'href="/papers/date/{LAST_DAY}"' in text, "the nearest day with papers is offered"


def test_a_future_week_and_month_have_not_come_yet(client, days):
    assert "This week has not come yet" in _empty_state(client, "/papers/week/2030-W02")
    assert "This month has not come yet" in _empty_state(client, "/papers/month/2030-01")


def test_a_day_before_the_first_papers_says_so(client, days):
    text = _empty_state(client, "/papers/date/1995-06-06")
    assert "start later than this day" in text and "holiday" not in text
    assert f'href="/papers/date/{FIRST_DAY}"' in text


def test_a_weekday_gap_may_still_be_a_holiday(client, days):
    text = _empty_state(client, f"/papers/date/{GAP_DAY}")
    assert "It may be a holiday" in text and "not come yet" not in text
