"""Digest emails' pieces: leads, bylines, the confirmation email, one rendering per content."""

import email
import email.policy
import re

import pytest
from django.core import mail

from dailypapers.accounts import emails
from dailypapers.digests import render, sender
from dailypapers.digests.models import Digest, Subscription
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
    assert render.lead(abstract) == lead
    assert len(render.lead(abstract)) <= render.LEAD_CHARS


def test_the_byline_is_the_organization_and_the_first_three_authors():
    upsert_papers([
        paper(1, day(0), authors=["Alice Quark", "Bob Lepton"], organization=OrgRecord("Lantern Lab", "lantern")),
        paper(2, day(0), authors=["A", "B", "C", "D"]),
        paper(3, day(0), authors=[]),
    ])
    papers = {p.arxiv_id: p for p in Paper.objects.for_cards()}
    assert render.byline(papers["2603.00001"]) == "Lantern Lab · Alice Quark, Bob Lepton"
    assert render.byline(papers["2603.00002"]) == "A, B, C et al."
    assert render.byline(papers["2603.00003"]) == ""


def test_the_confirmation_email_has_a_text_and_an_html_part_with_the_link(clock):
    alice = subscribe("alice@example.org")
    emails.confirmation_email(alice).send()
    [message] = mail.outbox
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    [link] = re.findall(r"https://papers\.example\.org/digests/confirm/[^\s\"<]+", message.body)
    assert f'href="{link}"' in html
    assert Subscription.objects.from_link("confirm", link.rsplit("/", 1)[1]) == alice
    assert message.extra_headers["Message-ID"].endswith("@papers.example.org>")


def queued_digests(now, *addresses):
    for address in addresses:
        subscribe(address)
    sender.Sender().queue(list(Subscription.objects.due(now)), now)
    return list(Digest.objects.select_related("subscription").order_by("pk"))


def test_one_content_is_rendered_once_and_each_subscriber_gets_their_own_values(clock, settings):
    settings.SITE_NAME = "Tägliche Papers ✨"
    settings.DEFAULT_FROM_EMAIL = "Tägliche Papers ✨ <papers@example.org>"
    upsert_papers([paper(1, day(0), title="Über Quantenfelder — 量子もつれ & <b>fett</b>", authors=["Zoë Å"]),
                   paper(2, day(0))])
    renderer = render.DigestRenderer()
    digests = queued_digests(clock(), "alice@example.org", "zoë@exämple.org", "bob+tag@example.org")

    for digest in digests:
        message = renderer.message(digest)
        assert message.to == [digest.subscription.email]
        sent = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
        assert sent["From"].addresses[0].display_name == "Tägliche Papers ✨"
        assert "Tägliche Papers ✨, Monday, March 2" in sent["Subject"]
        assert "Über Quantenfelder — 量子もつれ &amp; &lt;b&gt;fett&lt;/b&gt;" in sent.get_body(("html",)).get_content()
        text = sent.get_body(("plain",)).get_content()
        assert "Über Quantenfelder — 量子もつれ & <b>fett</b>" in text
        assert f"because {digest.subscription.email} subscribed" in text
        assert digest.subscription.link_token("manage") in text
    assert len(renderer._bodies) == 1  # one content for all three, filled in per subscriber


def test_a_body_with_a_line_over_998_bytes_goes_out_encoded(clock, smtp_server):
    title = "A title that goes on " + "and on " * 200  # over 998 bytes on one line: quoted-printable
    upsert_papers([paper(1, day(0), title=title)])
    queued_digests(clock(), "alice@example.org")

    sender.Sender().send_ready(clock())

    [received] = smtp_server.received
    assert title.strip() in received.message.get_body(("plain",)).get_content()
    assert Digest.objects.get().status == Digest.Status.SENT
