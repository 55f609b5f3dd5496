"""The mailto: half of List-Unsubscribe, fed through the unsubscribe_mail command."""

import io
import re
import sys
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import pytest
from django.core.management import call_command

from dailypapers.digests.management.commands.unsubscribe_mail import Command
from dailypapers.digests.models import Subscription

from .conftest import subscribe
from .test_send_digests import run

pytestmark = pytest.mark.django_db


def reply_to(mailto):
    """What a mail client sends for a mailto: URL with a subject."""
    parts = urlsplit(mailto)
    message = EmailMessage()
    message["From"], message["To"] = "alice@example.org", parts.path
    message["Subject"] = unquote(parts.query.removeprefix("subject="))
    message.set_content("")
    return message


def test_the_mailto_in_a_digest_unsubscribes_through_the_command(clock, smtp_server, week_of_papers):
    alice = subscribe("alice@example.org")
    run()
    [digest] = smtp_server.messages_to("alice@example.org")
    mailto = re.findall(r"<(mailto:[^<>]+)>", digest["List-Unsubscribe"])[0]
    out = io.StringIO()
    assert Command(stdout=out, stderr=io.StringIO()).handle_one_message(reply_to(mailto)) is True
    alice.refresh_from_db()
    assert alice.status == Subscription.Status.UNSUBSCRIBED
    assert out.getvalue().strip() == f"unsubscribed subscription {alice.pk}"


@pytest.mark.parametrize("subject", ["unsubscribe 1.abc:def:ghi", "hello", ""])
def test_a_message_without_a_valid_token_changes_nothing(clock, subject):
    alice = subscribe("alice@example.org")
    message = EmailMessage()
    message["Subject"] = subject
    assert Command(stdout=io.StringIO(), stderr=io.StringIO()).handle_one_message(message) is False
    alice.refresh_from_db()
    assert alice.is_active


def test_it_reads_the_message_from_stdin(clock, monkeypatch):
    subscribe("alice@example.org")
    raw = b"From: x@example.org\r\nSubject: unsubscribe nonsense\r\n\r\nbody\r\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    err = io.StringIO()
    call_command("unsubscribe_mail", stdout=io.StringIO(), stderr=err)
    assert "ignored" in err.getvalue()
