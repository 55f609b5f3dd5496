"""``/api/docs``: the interactive documentation works from our own static files under the site's CSP."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_interactive_docs_render_under_the_sites_csp(live_server, browser_page):
    problems = []
    browser_page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    response = browser_page.goto(f"{live_server.url}/api/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    browser_page.wait_for_selector(".opblock")
    paths = browser_page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/daily_papers" in paths and "/api/v1/papers" in paths
    assert problems == []  # a CSP violation or a missing asset reports here


def test_the_openapi_document_is_built_once_per_process(client):
    from dailypapers.api.api import api

    first = client.get("/api/openapi.json")
    assert first.status_code == 200
    assert api.get_openapi_schema(path_prefix="/api/") is api.get_openapi_schema(path_prefix="/api/")
    assert client.get("/api/openapi.json").content == first.content
