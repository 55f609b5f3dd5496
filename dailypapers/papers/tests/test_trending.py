"""``/papers/trending``: the address huggingface.co readers bookmark, the latest feed trending first."""

import datetime as dt

import pytest
from django.utils import timezone

from dailypapers.accounts.tests.people import make_papers
from dailypapers.lib import calendar

pytestmark = pytest.mark.django_db


def test_it_shows_the_latest_day_sorted_by_trending(client, fresh_limits):
    day = calendar.current_feed_day()
    make_papers(1, 2, day=day)
    response = client.get("/papers/trending")
    assert response.status_code == 200
    assert response.context["sort"] == "trending" and response.context["is_latest"]
    assert response.context["period"].first == day
    page = response.content.decode()
    assert 'class="sort-link is-active" href="?sort=trending"' in page


def test_another_sort_can_still_be_picked(client, fresh_limits):
    make_papers(1, day=calendar.current_feed_day())
    response = client.get("/papers/trending?sort=newest")
    assert response.context["sort"] == "newest"


def test_it_marks_the_daily_tab_as_current(client, fresh_limits):
    make_papers(1, day=calendar.current_feed_day() - dt.timedelta(days=1), published=timezone.now().date())
    page = client.get("/papers/trending").content.decode()
    assert 'class="site-nav-link is-active" href="/papers"' in page
