"""The header's tabs: "Daily" is current on feed pages, not on search results."""

import re

import pytest

pytestmark = pytest.mark.django_db


def _active_tabs(client, path):
    page = client.get(path).content.decode()
    return re.findall(r'class="site-nav-link is-active"[^>]*>([^<]+)<', page)


@pytest.mark.parametrize("path", ["/", "/papers", "/papers/trending", "/papers/date/2026-03-02"])
def test_daily_is_current_on_feed_pages(client, path, fresh_limits):
    assert _active_tabs(client, path) == ["Daily"]


@pytest.mark.parametrize("path", ["/papers?q=tidal+gradient", "/search?q=tidal"])
def test_no_tab_is_current_on_search_results(client, path, fresh_limits):
    assert _active_tabs(client, path) == []


def test_organizations_is_current_on_its_pages(client, fresh_limits):
    assert _active_tabs(client, "/organizations") == ["Organizations"]
