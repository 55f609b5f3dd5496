"""Absolute links name the site by SITE_URL, else the first ALLOWED_HOSTS name: never by the Host
header (or port) a client sends, which would otherwise reach emails, feeds and API links."""

import re

import pytest
from django.core import mail

from dailypapers.lib import siteurl

pytestmark = pytest.mark.django_db


def test_it_prefers_site_url_then_the_first_allowed_host(settings):
    settings.SITE_URL = "https://papers.example.org/"
    assert siteurl.absolute("/papers/2603.00001") == "https://papers.example.org/papers/2603.00001"
    settings.SITE_URL = ""
    settings.ALLOWED_HOSTS = ["*", ".example.net", "localhost"]
    assert siteurl.site_url() == "http://example.net"
    settings.ALLOWED_HOSTS = []
    assert siteurl.site_url() == "http://localhost"


def test_a_host_header_with_another_port_never_reaches_an_emailed_link(client, settings, django_user_model):
    """Issue #18: ``Host: localhost:9999`` (an allowed host, any port) ended up in password-reset links."""
    settings.SITE_URL = ""
    settings.ALLOWED_HOSTS = ["papers.example.org", "localhost"]
    django_user_model.objects.create_user("alice", "alice@example.org", "pw-alice-123")
    client.post("/password-reset", {"email": "alice@example.org"}, HTTP_HOST="localhost:9999")
    [message] = mail.outbox
    links = re.findall(r"https?://[^\s\"<]+", message.body)
    assert links and all(link.startswith("http://papers.example.org/") for link in links), links
    assert "9999" not in message.body
