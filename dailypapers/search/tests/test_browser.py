"""The header's search box, end to end in headless Chromium, under the site's CSP."""

import pytest

from dailypapers.papers.upsert import upsert_papers
from dailypapers.search import jobs

from .conftest import PAPERS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_search_from_the_header_shows_highlighted_results(live_server, browser_page):
    upsert_papers(PAPERS)
    jobs.embed_pending()
    problems = []
    browser_page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    browser_page.goto(f"{live_server.url}/papers/date/2026-03-02")
    browser_page.fill(".site-search input[type=search]", "zorblax")
    browser_page.press(".site-search input[type=search]", "Enter")
    browser_page.wait_for_selector(".search-hit")
    assert browser_page.locator(".search-hit").first.get_attribute("data-arxiv-id") == "2603.00003"
    assert browser_page.locator(".search-hit mark").first.inner_text() == "Zorblax"
    assert not [p for p in problems if "Content Security Policy" in p]
