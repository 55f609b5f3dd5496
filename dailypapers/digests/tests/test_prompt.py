"""The one-line subscribe prompt at the top of feed pages, dismissed by a cookie (no script)."""

import pytest
from django.core.cache import caches

from dailypapers.accounts.tests.people import make_papers
from dailypapers.lib import calendar

pytestmark = pytest.mark.django_db

PROMPT = 'class="digest-cta"'


@pytest.fixture
def feed_day(settings):
    for name in settings.CACHES:
        caches[name].clear()
    day = calendar.current_feed_day()
    make_papers(1, day=day)
    return day


def test_it_shows_the_prompt_above_the_papers(client, feed_day):
    page = client.get(f"/papers/date/{feed_day}").content.decode()
    assert PROMPT in page
    assert page.index(PROMPT) < page.index("paper-card"), "near the top, before the list"
    assert 'href="#digest-box-email"' in page and 'id="digest-box-email"' in page


def test_hide_sets_a_cookie_and_returns_to_the_page(client, feed_day):
    feed = f"/papers/date/{feed_day}"
    response = client.post("/digests/hide-prompt", {"next": feed})
    assert response.status_code == 302 and response["Location"] == feed
    cookie = response.cookies["hide_subscribe_prompt"]
    assert cookie.value == "1" and cookie["max-age"] >= 300 * 24 * 3600 and cookie["httponly"]
    page = client.get(feed).content.decode()
    assert PROMPT not in page
    assert 'class="digest-box"' in page, "the full subscribe box at the bottom stays"


def test_hide_never_redirects_off_site(client, feed_day):
    response = client.post("/digests/hide-prompt", {"next": "https://evil.example.org/"})
    assert response["Location"] == "/"


def test_cached_pages_keep_one_copy_per_prompt_state(client, feed_day, settings):
    """A reader who hid the prompt never gets a stored page that shows it, nor the reverse."""
    settings.PAGE_CACHE_SECONDS = 60
    feed = f"/papers/date/{feed_day}"
    assert PROMPT in client.get(feed).content.decode()
    client.post("/digests/hide-prompt", {"next": feed})
    assert PROMPT not in client.get(feed).content.decode()
    client.cookies.pop("hide_subscribe_prompt")
    response = client.get(feed)
    assert response["X-Page-Cache"] == "hit" and PROMPT in response.content.decode()


def test_hiding_needs_a_post(client, feed_day):
    assert client.get("/digests/hide-prompt").status_code == 405
