"""The files every site answers at its root (robots.txt, favicon, manifest) and the social card tags
that every HTML page carries."""

import json
import re

import pytest
from django.test import Client

from .routes import all_routes, url_for

pytestmark = pytest.mark.django_db

HTML_ROUTES = [route for route in all_routes()
               if not route.is_admin and not route.is_api and not route.route.startswith("feeds/")]
SOCIAL_TAGS = ("og:title", "og:description", "og:url", "og:image", "twitter:card", "twitter:image")


def test_it_serves_robots_txt_keeping_crawlers_out_of_accounts_and_actions(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    for path in ("/admin/", "/settings", "/api/"):
        assert f"Disallow: {path}" in lines
    assert "Disallow: /" not in lines, "the public pages stay crawlable"


def test_it_answers_favicon_ico_with_the_static_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith("/icons/favicon.ico")
    assert client.get(response["Location"]).status_code == 200


def test_it_serves_a_web_manifest_whose_icons_exist(client, settings):
    settings.SITE_NAME = "Tidepool Papers"
    response = client.get("/site.webmanifest")
    manifest = json.loads(response.content)
    assert response["Content-Type"] == "application/manifest+json"
    assert manifest["name"] == "Tidepool Papers"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"any", "192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert Client().get(icon["src"]).status_code == 200, icon["src"]


def test_every_page_links_its_icons_and_manifest(client):
    page = client.get("/").content.decode()
    for href in re.findall(r'<link rel="(?:icon|apple-touch-icon|manifest)" href="([^"]+)"', page):
        assert Client().get(href).status_code == 200, href
    assert page.count('rel="icon"') == 2 and 'rel="apple-touch-icon"' in page and 'rel="manifest"' in page


def test_every_html_page_carries_opengraph_and_twitter_tags(world):
    """Every route that answers a signed-in GET with an HTML page (POST-only routes and files aside)."""
    client = Client()
    client.force_login(world.alice)
    pages, problems = 0, []
    for route in HTML_ROUTES:
        response = client.get(url_for(route, world))
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        pages += 1
        page = response.content.decode()
        problems += [f"{route.test_id}: {tag}" for tag in SOCIAL_TAGS
                     if not re.search(rf'<meta (?:property|name)="{tag}" content="[^"]+">', page)]
        image = re.search(r'<meta property="og:image" content="https?://[^/]+(/[^"]+)">', page)
        if image and client.get(image.group(1)).status_code != 200:
            problems.append(f"{route.test_id}: og:image {image.group(1)} does not load")
    assert problems == []
    assert pages >= 25, f"only {pages} pages checked"
