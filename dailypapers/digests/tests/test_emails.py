"""The email module's pieces: leads, bylines, the confirmation email."""

import re

import pytest
from django.core import mail

from dailypapers.digests import emails, tokens
from dailypapers.papers.models import Paper
from dailypapers.papers.records import OrgRecord
from dailypapers.papers.upsert import upsert_papers

from .conftest import day, paper, subscribe

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("abstract", "lead"),
    [
        ("We prove it. Then we test it.", "We prove it."),
        ("Is $x<y$? (Yes.) Mostly.", "Is $x<y$?"),
        ("No full stop at all", "No full stop at all"),
        ("", ""),
        ("word " * 100, ("word " * 100)[:219].rstrip() + "…"),
    ],
)
def test_the_lead_is_the_first_sentence_cut_to_a_line(abstract, lead):
    assert emails.lead(abstract) == lead
    assert len(emails.lead(abstract)) <= emails.LEAD_CHARS


def test_the_byline_is_the_organization_and_the_first_three_authors():
    upsert_papers([
        paper(1, day(0), authors=["Alice Quark", "Bob Lepton"], organization=OrgRecord("Lantern Lab", "lantern")),
        paper(2, day(0), authors=["A", "B", "C", "D"]),
        paper(3, day(0), authors=[]),
    ])
    papers = {p.arxiv_id: p for p in Paper.objects.for_cards()}
    assert emails.byline(papers["2603.00001"]) == "Lantern Lab · Alice Quark, Bob Lepton"
    assert emails.byline(papers["2603.00002"]) == "A, B, C et al."
    assert emails.byline(papers["2603.00003"]) == ""


def test_the_confirmation_email_has_a_text_and_an_html_part_with_the_link(clock):
    alice = subscribe("alice@example.org")
    emails.confirmation_email(alice).send()
    [message] = mail.outbox
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    [link] = re.findall(r"https://papers\.example\.org/digests/confirm/[^\s\"<]+", message.body)
    assert f'href="{link}"' in html
    assert tokens.read(tokens.CONFIRM, link.rsplit("/", 1)[1]) == alice
    assert message.extra_headers["Message-ID"].endswith("@papers.example.org>")


def test_links_fall_back_to_the_request_host_then_the_default_address(settings, rf):
    settings.SITE_URL = ""
    assert emails.site_url(rf.get("/", HTTP_HOST="localhost:8123")) == "http://localhost:8123"
    assert emails.site_url() == emails.FALLBACK_SITE_URL
