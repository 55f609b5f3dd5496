"""The limits on log-in guesses and on mail-sending actions (accounts/limits.py)."""

import statistics
import threading
import time

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.test import Client

from dailypapers.digests.models import Subscription

from .people import PASSWORD

pytestmark = pytest.mark.django_db


def log_in(client, username, password, address):
    return client.post("/login", {"username": username, "password": password}, REMOTE_ADDR=address)


# -- log-in: no lock-out of the owner -------------------------------------------------------------------
def test_the_owner_logs_in_from_a_fresh_address_while_attackers_are_throttled(settings, alice):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": (10, 300), "login_account": (200, 3600)}
    attacker = Client()
    for n in range(10):
        answers = [log_in(attacker, "alice", f"guess-{g}", f"10.0.0.{n}").status_code for g in range(11)]
        assert answers == [200] * 10 + [429], "each attacking address is cut off after 10 guesses"
    owner = Client()
    assert log_in(owner, "alice", PASSWORD, "192.0.2.7").status_code == 302
    assert "_auth_user_id" in owner.session


def test_log_ins_by_username_and_by_email_share_one_counter(settings, alice):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": (10, 300), "login_account": (20, 3600)}
    client = Client()
    for n in range(2):
        assert [log_in(client, "alice", "x", f"10.0.1.{n}").status_code for _ in range(10)] == [200] * 10
    # The account's ceiling is spent, whichever name the guesses typed: by email too, from a new address.
    assert log_in(client, "ALICE@example.org", "x", "10.0.1.9").status_code == 429
    assert log_in(client, "Alice", "x", "10.0.1.9").status_code == 429


def test_the_per_address_limit_counts_the_account_by_any_name(settings, alice):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": (4, 300)}
    client = Client()
    names = ["alice", "alice@example.org", "ALICE", "Alice@Example.org"]
    assert [log_in(client, name, "x", "10.0.2.1").status_code for name in names] == [200] * 4
    assert log_in(client, "alice", PASSWORD, "10.0.2.1").status_code == 429


def test_a_browser_that_logged_in_before_passes_the_account_ceiling(settings, alice):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": (10, 300), "login_account": (3, 3600)}
    owner = Client()
    assert log_in(owner, "alice", PASSWORD, "192.0.2.1").status_code == 302
    owner.post("/logout")
    for n in range(5):  # an attack from many addresses fills the account's ceiling
        log_in(Client(), "alice", "guess", f"10.0.3.{n}")
    assert log_in(Client(), "alice", PASSWORD, "192.0.2.99").status_code == 429  # a new browser waits
    assert log_in(owner, "alice", PASSWORD, "192.0.2.99").status_code == 302  # the owner's does not


# -- mail-sending actions ---------------------------------------------------------------------------------
def test_changing_the_email_is_limited_per_user(client, settings, alice):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "email": (3, 3600)}
    client.force_login(alice)
    answers = [client.post("/settings", {"display_name": "", "email": f"victim+{n}@example.net"},
                           REMOTE_ADDR=f"10.0.4.{n}").status_code for n in range(5)]
    assert answers == [302, 302, 302, 429, 429] and len(mail.outbox) == 3
    refused = client.post("/settings", {"display_name": "", "email": "victim@example.net"})
    assert refused.status_code == 429 and b"Too many requests" in refused.content and refused["Retry-After"]


def test_one_address_gets_a_bounded_number_of_mails_from_many_accounts(settings, alice, bob, charlie):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "email": (3, 3600)}
    senders = [alice, bob, charlie]
    for n, user in enumerate(senders * 2):
        client = Client()
        client.force_login(user)
        client.post("/settings", {"display_name": "", "email": "victim@example.net"}, REMOTE_ADDR=f"10.0.5.{n}")
    assert [m.to for m in mail.outbox] == [["victim@example.net"]] * 3


def test_resending_the_verification_link_is_limited(client, settings, charlie):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "email": (2, 3600)}
    client.force_login(charlie)
    answers = [client.post("/verify-email", REMOTE_ADDR=f"10.0.6.{n}").status_code for n in range(3)]
    assert answers == [302, 302, 429] and len(mail.outbox) == 2


def test_password_reset_is_limited_per_address_asking_and_per_address_mailed(settings, alice):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "email": (2, 3600)}
    client = Client()
    for n in range(2):
        assert client.post("/password-reset", {"email": "alice@example.org"},
                           REMOTE_ADDR=f"10.0.7.{n}").status_code == 302
    assert client.post("/password-reset", {"email": "alice@example.org"}, REMOTE_ADDR="10.0.7.9").status_code == 429
    assert client.post("/password-reset", {"email": "zed@example.org"}, REMOTE_ADDR="10.0.7.0").status_code == 302
    assert client.post("/password-reset", {"email": "zed@example.org"}, REMOTE_ADDR="10.0.7.0").status_code == 429
    assert len(mail.outbox) == 2


def test_digest_subscriptions_are_limited_per_signed_in_user(client, settings, alice):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "digest_subscribe": (2, 3600)}
    client.force_login(alice)
    answers = [client.post("/digests/subscribe", {"email": f"list+{n}@example.net", "frequency": "daily"},
                           REMOTE_ADDR=f"10.0.8.{n}").status_code for n in range(3)]
    assert answers == [302, 302, 429] and Subscription.objects.count() == 2


# -- password reset in constant time ----------------------------------------------------------------------
class SlowMailServer(EmailBackend):
    """A mail server that takes its time, as a real one does (0.1-0.3 s)."""

    def send_messages(self, messages):
        time.sleep(0.25)
        return super().send_messages(messages)


def _median_answer_seconds(client, email, times=5):
    spent = []
    for _ in range(times):
        start = time.perf_counter()
        assert client.post("/password-reset", {"email": email}).status_code == 302
        spent.append(time.perf_counter() - start)
    return statistics.median(spent)


def test_password_reset_answers_as_fast_for_a_member_as_for_a_stranger(settings, alice):
    # The mail was sent in the request: a member's address took the mail server's time longer to answer.
    settings.EMAIL_IN_BACKGROUND = True
    settings.EMAIL_BACKEND = f"{__name__}.SlowMailServer"
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "email": (100, 3600)}
    client = Client()
    _median_answer_seconds(client, "nobody@example.org", 1)  # warm up
    stranger = _median_answer_seconds(client, "nobody@example.org")
    member = _median_answer_seconds(client, "alice@example.org")
    for thread in threading.enumerate():
        if thread.name == "dailypapers-mail":
            thread.join(timeout=30)
    assert member < 3 * stranger
    assert [m.to for m in mail.outbox] == [["alice@example.org"]] * 5
