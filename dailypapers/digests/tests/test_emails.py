"""The email module's pieces: leads, bylines, the confirmation email."""

import re

import pytest
from django.core import mail
from django.core.mail.message import sanitize_address

from dailypapers.digests import emails, sender
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
    assert Subscription.objects.from_link("confirm", link.rsplit("/", 1)[1]) == alice
    assert message.extra_headers["Message-ID"].endswith("@papers.example.org>")


def test_without_site_url_links_use_the_first_allowed_host_never_the_request_host(settings, rf):
    settings.SITE_URL = ""
    settings.ALLOWED_HOSTS = [".papers.example.org", "localhost"]
    assert emails.site_url(rf.get("/", HTTP_HOST="localhost:9999")) == "http://papers.example.org"
    settings.ALLOWED_HOSTS = ["*"]
    assert emails.site_url() == "http://localhost"


def queued_digests(now, *addresses):
    for address in addresses:
        subscribe(address)
    sender.Sender().queue(list(Subscription.objects.due(now)), now)
    return list(Digest.objects.select_related("subscription").order_by("pk"))


def test_the_wire_bytes_are_the_bytes_djangos_smtp_backend_would_send(clock, settings):
    settings.SITE_NAME = "Tägliche Papers ✨"
    settings.DEFAULT_FROM_EMAIL = "Tägliche Papers ✨ <papers@example.org>"
    upsert_papers([paper(1, day(0), title="Über Quantenfelder — 量子もつれ & <b>fett</b>", authors=["Zoë Å"]),
                   paper(2, day(0))])
    renderer = emails.DigestRenderer()
    digests = queued_digests(clock(), "alice@example.org", "zoë@exämple.org", "bob+tag@example.org")

    for digest in digests:  # one content for all three: the template is filled in per subscriber
        message = emails.digest_email(digest, renderer)
        mime = message.message()
        django_bytes = mime.as_bytes(linesep="\r\n")
        wire = message.wire.data
        ours = re.search(rb'boundary="([^"]+)"', wire).group(1)  # each serialization picks its own
        assert wire == django_bytes.replace(mime.get_boundary().encode(), ours)
        assert message.wire.sender == sanitize_address(settings.DEFAULT_FROM_EMAIL, "utf-8")
        assert [message.wire.recipient] == [sanitize_address(to, "utf-8") for to in message.recipients()]
    assert len(renderer._bodies) == 1


@pytest.mark.parametrize("address", ["alice@example.org", "a.b+c_d@mail.example.org", "zoë@exämple.org",
                                     "Alice <alice@example.org>", '"odd..one"@example.org'])
def test_envelope_addresses_are_what_djangos_backend_passes_to_smtplib(address):
    assert emails.envelope_address(address) == sanitize_address(address, "utf-8")


def test_a_body_django_must_encode_has_no_wire_bytes_and_goes_out_the_ordinary_way(clock, smtp_server):
    title = "A title that goes on " + "and on " * 200  # over 998 bytes on one line: quoted-printable
    upsert_papers([paper(1, day(0), title=title)])
    [digest] = queued_digests(clock(), "alice@example.org")
    assert emails.digest_email(digest).wire.data is None

    sender.Sender().send_ready(clock())

    [received] = smtp_server.received
    assert title.strip() in received.message.get_body(("plain",)).get_content()
    assert Digest.objects.get().status == Digest.Status.SENT
