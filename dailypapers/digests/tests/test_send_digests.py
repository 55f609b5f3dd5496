"""Sending digests (digests/sender.py and its command) against a real SMTP server (aiosmtpd on a loopback port)."""

import datetime as dt
import email.utils
import io
import re
from html.parser import HTMLParser

import numpy as np
import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from dailypapers.digests import content, sender
from dailypapers.digests.management.commands import send_digests
from dailypapers.digests.models import Digest, DigestQuerySet, SentPaper, Subscription
from dailypapers.digests.sending import Mailer
from dailypapers.ops.worker import Job
from dailypapers.papers.models import Organization, Paper, Upvote
from dailypapers.papers.upsert import upsert_papers
from dailypapers.search.models import PaperEmbedding, vector_to_bytes

from .conftest import SITE_URL, at, day, paper, subscribe

pytestmark = pytest.mark.django_db


class Crash(BaseException):
    """Stands in for the process dying (kill -9, power cut): nothing after it runs."""


def run():
    """One pass, as cron would run it; returns (queued, stats)."""
    result = sender.run_due()
    return result.queued, result.stats


def run_command():
    """One pass through the command; returns what it wrote to stderr."""
    err = io.StringIO()
    call_command("send_digests", stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def plain(message):
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def html(message):
    return message.get_body(("html",)).get_content()


def arxiv_ids(message):
    return re.findall(r"https://arxiv\.org/abs/(\d{4}\.\d{5})", plain(message))


def numbers(message):
    return [int(arxiv_id[-5:]) for arxiv_id in arxiv_ids(message)]


class Links(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.hrefs = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs)["href"])


def assert_well_formed(message, to, sent_at):
    """What every digest must be: multipart/alternative, text then HTML, with the list headers."""
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["To"] == to
    assert message["From"].addresses[0].addr_spec == "papers@example.org"
    assert re.fullmatch(r"<[^<>@\s]+@papers\.example\.org>", message["Message-ID"].strip())  # may be folded
    assert email.utils.parsedate_to_datetime(message["Date"]) == sent_at.replace(microsecond=0)
    https, mailto = re.findall(r"<([^<>]+)>", message["List-Unsubscribe"])
    assert re.fullmatch(rf"{SITE_URL}/digests/unsubscribe/[^/]+/one-click", https)
    assert mailto.startswith("mailto:papers@example.org?subject=unsubscribe%20")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    body = html(message).lower()
    for forbidden in ("<script", "<link", "<style", "javascript:"):
        assert forbidden not in body


def test_it_sends_each_due_subscriber_the_periods_top_papers(clock, smtp_server, week_of_papers):
    subscribe("alice@example.org")
    subscribe("bob@example.org", frequency="weekly", due=at(day(7), 7, 0))  # next Monday: not due
    subscribe("charlie@example.org", categories="cs.CL")

    queued, stats = run()

    assert (queued, stats["sent"]) == (2, 2)
    assert smtp_server.count_by_recipient() == {"alice@example.org": 1, "charlie@example.org": 1}
    [alice] = smtp_server.messages_to("alice@example.org")
    assert_well_formed(alice, "alice@example.org", clock())
    # Monday's papers were all featured at 09:00, so trending orders them by votes: 14 down to 5.
    assert numbers(alice) == list(range(14, 4, -1))
    assert alice["Subject"] == "Daily Papers, Monday, March 2: Paper number 14 (+9 more)"
    [charlie] = smtp_server.messages_to("charlie@example.org")
    assert numbers(charlie) == [5, 3]  # only the cs.CL papers
    assert_well_formed(charlie, "charlie@example.org", clock())


def test_the_order_is_the_trending_ranking_of_the_feed(clock, smtp_server, week_of_papers):
    subscribe("alice@example.org", frequency="weekly", due=at(day(7), 7, 0))
    clock.set(at(day(7)))  # Monday 9 March: last week's digest

    run()

    [message] = smtp_server.messages_to("alice@example.org")
    expected = Paper.objects.featured_between(day(0), day(6)).ranked("trending", at(day(7), 7, 0))
    assert arxiv_ids(message) == [p.arxiv_id for p in expected[:10]]
    assert "Week 10, 2026" in message["Subject"]


def test_it_shows_title_authors_or_organization_lead_upvotes_and_links(clock, smtp_server, week_of_papers):
    subscribe("alice@example.org", categories="cs.CL")
    run()
    [message] = smtp_server.messages_to("alice@example.org")
    text = plain(message)
    assert "1. Paper number 5\n   Lantern Lab · Alice Quark, Bob Lepton, Charlie Gluon et al.\n" in text
    assert "   We study problem 5.\n" in text  # the first sentence only
    assert "Then we solve it twice" not in text
    assert "▲ 5 upvotes · https://papers.example.org/papers/2603.00005" in text
    assert "Code: https://github.com/alice/lanterns" in text
    hrefs = Links(html(message)).hrefs
    assert {"https://papers.example.org/papers/2603.00005", "https://arxiv.org/abs/2603.00005",
            "https://github.com/alice/lanterns"} <= set(hrefs)


def test_every_link_in_a_digest_works_with_the_test_client(clock, smtp_server, week_of_papers):
    alice = subscribe("alice@example.org")
    run()
    [message] = smtp_server.messages_to("alice@example.org")
    hrefs = Links(html(message)).hrefs
    site_paths = [href.removeprefix(SITE_URL) for href in hrefs if href.startswith(SITE_URL)]
    assert len(site_paths) >= 10 + 10 + 3  # title and "Paper page" per paper; home, feed, manage, unsubscribe
    client = Client()
    for path in set(site_paths):
        assert client.get(path).status_code == 200, path
    # The text part carries the same manage and unsubscribe links.
    text = plain(message)
    manage = next(p for p in site_paths if p.startswith("/digests/manage/"))
    unsubscribe = next(p for p in site_paths if p.startswith("/digests/unsubscribe/"))
    assert f"{SITE_URL}{manage}" in text and f"{SITE_URL}{unsubscribe}" in text
    # Following them changed nothing (GET); the unsubscribe page's button does.
    alice.refresh_from_db()
    assert alice.is_active
    assert client.post(unsubscribe).status_code == 200
    alice.refresh_from_db()
    assert alice.status == Subscription.Status.UNSUBSCRIBED


def test_subscribers_sharing_a_digest_each_get_their_own_address_and_links(clock, smtp_server, week_of_papers):
    alice, bob = subscribe("alice@example.org"), subscribe("o'brien&co@example.org")
    run()
    [to_alice], [to_bob] = smtp_server.messages_to(alice.email), smtp_server.messages_to(bob.email)
    assert numbers(to_alice) == numbers(to_bob)
    assert "o&#x27;brien&amp;co@example.org subscribed" in html(to_bob)
    assert "o'brien&co@example.org subscribed" in plain(to_bob)
    assert "brien" not in plain(to_alice) + html(to_alice)
    assert "alice@example.org" not in plain(to_bob) + html(to_bob)
    for message, subscription in ((to_alice, alice), (to_bob, bob)):
        token = re.search(r"/digests/manage/([^\s\"<]+)", plain(message)).group(1)
        assert Subscription.objects.from_link("manage", token) == subscription
        token = re.search(r"/digests/unsubscribe/([^\s\"<]+)", html(message)).group(1)
        assert Subscription.objects.from_link("unsubscribe", token) == subscription


def test_the_list_unsubscribe_header_unsubscribes_with_one_csrf_free_post(clock, smtp_server, week_of_papers):
    alice = subscribe("alice@example.org")
    run()
    [message] = smtp_server.messages_to("alice@example.org")
    https = re.findall(r"<(https://[^<>]+)>", message["List-Unsubscribe"])[0]
    client = Client(enforce_csrf_checks=True)
    # RFC 8058: a mail client POSTs this body to the https URL, with no cookies and no CSRF token.
    response = client.post(https.removeprefix(SITE_URL), "List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.status == Subscription.Status.UNSUBSCRIBED


def test_it_encodes_non_ascii_names_and_titles(clock, smtp_server, settings, db):
    settings.SITE_NAME = "Tägliche Papers ✨"
    settings.DEFAULT_FROM_EMAIL = "Tägliche Papers ✨ <papers@example.org>"
    title = "Über Quantenfelder — 量子もつれ & <b>fett</b> $\\alpha<\\beta$"
    upsert_papers([paper(1, day(0), title=title, authors=["Zoë Ångström", "李明"])])
    subscribe("zoë@exämple.org")

    run()

    [received] = smtp_server.received
    assert received.recipients == ["zoë@xn--exmple-cua.org"]  # IDNA for the domain
    headers = received.raw.split(b"\r\n\r\n", 1)[0]
    headers.decode("ascii")  # every header is 7-bit: RFC 2047 encoded words where needed
    message = received.message
    # Django folds before the first encoded word; unfolding leaves white space that clients drop.
    assert message["Subject"].lstrip() == f"Tägliche Papers ✨, Monday, March 2: {title}"
    assert message["From"].addresses[0].display_name == "Tägliche Papers ✨"
    text = plain(message)
    assert title in text and "Zoë Ångström, 李明" in text
    body = html(message)
    assert "Über Quantenfelder — 量子もつれ &amp; &lt;b&gt;fett&lt;/b&gt; $\\alpha&lt;\\beta$" in body
    assert "<b>fett" not in body


def test_it_never_sends_a_paper_twice(clock, smtp_server, week_of_papers):
    alice = subscribe("alice@example.org")
    run()  # Tuesday: Monday's top ten, papers 14 to 5
    alice.refresh_from_db()
    alice.change_frequency("weekly", clock())
    alice.save()
    clock.set(at(day(7)))  # the weekly digest covers Monday again

    run()

    first, second = smtp_server.messages_to("alice@example.org")
    assert numbers(first) == list(range(14, 4, -1))
    assert len(numbers(second)) == 10
    assert not set(numbers(first)) & set(numbers(second))
    assert SentPaper.objects.filter(subscription=alice).count() == 20


def test_it_sends_nothing_when_there_is_nothing_new(clock, smtp_server, week_of_papers):
    alice = subscribe("alice@example.org", due=at(day(8), 7, 0))  # Tuesday 10th: covers Monday 9th, empty
    clock.set(at(day(8)))

    queued, stats = run()

    assert (queued, stats["sent"], smtp_server.received) == (0, 0, [])
    assert not Digest.objects.exists()
    alice.refresh_from_db()
    assert alice.next_digest_at == at(day(9), 7, 0)  # moved on to Wednesday all the same


def test_a_worker_that_was_down_catches_up_with_one_digest(clock, smtp_server, week_of_papers):
    subscribe("alice@example.org")  # due since Tuesday, for Monday's papers
    clock.set(at(day(3), 12))  # Thursday noon: Monday's to Wednesday's papers in one digest

    run()

    [message] = smtp_server.messages_to("alice@example.org")
    expected = Paper.objects.featured_between(day(0), day(2)).ranked("trending", at(day(3), 7, 0))
    assert arxiv_ids(message) == [p.arxiv_id for p in expected[:10]]
    assert {120, 121, 122} <= set(numbers(message))  # Wednesday's are the freshest
    assert "March 2 to March 4" in message["Subject"]
    assert Subscription.objects.get().next_digest_at == at(day(4), 7, 0)


def test_it_reconnects_when_the_server_drops_the_connection_after_k_messages(clock, smtp_server, week_of_papers,
                                                                            monkeypatch):
    monkeypatch.setattr(sender, "CONNECTIONS", 1)  # one connection: the drops land where we say
    smtp_server.drop_every = 2
    people = [f"reader{n}@example.org" for n in range(5)]
    for person in people:
        subscribe(person)

    queued, stats = run()

    assert smtp_server.answers["dropped"] == 2  # after messages 2 and 4
    assert smtp_server.count_by_recipient() == dict.fromkeys(people, 1)
    assert (queued, stats["sent"]) == (5, 5)
    assert set(Digest.objects.values_list("status", flat=True)) == {Digest.Status.SENT}


def test_each_of_several_connections_reconnects_on_its_own(clock, smtp_server, week_of_papers):
    smtp_server.drop_every = 2
    people = [f"reader{n}@example.org" for n in range(4 * sender.CONNECTIONS)]
    for person in people:
        subscribe(person)

    queued, stats = run()

    assert smtp_server.answers["dropped"] >= sender.CONNECTIONS  # every connection was dropped
    assert smtp_server.count_by_recipient() == dict.fromkeys(people, 1)
    assert (queued, stats["sent"]) == (len(people), len(people))
    assert smtp_server.connections_used() > sender.CONNECTIONS, "several connections, each reopened"


def test_greylisting_451_is_retried_after_a_backoff(clock, smtp_server, week_of_papers):
    smtp_server.greylist = True
    people = ["alice@example.org", "bob@example.org", "charlie@example.org"]
    for person in people:
        subscribe(person)

    assert run()[1]["transient"] == 3
    assert smtp_server.received == []
    for digest in Digest.objects.all():
        assert (digest.status, digest.attempts) == (Digest.Status.QUEUED, 1)
        assert digest.last_error.startswith("451")
        assert digest.not_before == clock() + dt.timedelta(minutes=1)
    assert run()[1]["sent"] == 0  # still waiting
    clock.advance(minutes=1)

    assert run()[1]["sent"] == 3
    assert smtp_server.count_by_recipient() == dict.fromkeys(people, 1)
    assert run()[1]["sent"] == 0


def test_550_fails_the_digest_once_and_repeated_refusals_mark_the_address_bouncing(
    clock, smtp_server, week_of_papers
):
    smtp_server.refuse = {"bob@example.org"}
    alice, bob = subscribe("alice@example.org"), subscribe("bob@example.org")
    for weekday in (1, 2, 3):  # Tuesday to Thursday
        clock.set(at(day(weekday)))
        run()

    bob.refresh_from_db()
    assert bob.status == Subscription.Status.BOUNCING and bob.next_digest_at is None
    assert smtp_server.answers["550"] == 3  # one attempt per digest: 5xx is never retried
    assert [d.status for d in bob.digests.order_by("pk")] == [Digest.Status.FAILED] * 3
    assert smtp_server.count_by_recipient() == {"alice@example.org": 3}
    clock.set(at(day(4)))
    run()
    assert bob.digests.count() == 3 and alice.digests.count() == 4


def test_a_delivery_resets_the_bounce_count(clock, smtp_server, week_of_papers):
    alice = subscribe("alice@example.org")
    Subscription.objects.filter(pk=alice.pk).update(bounce_count=2)
    run()
    alice.refresh_from_db()
    assert alice.bounce_count == 0 and alice.is_active


def test_a_server_that_refuses_our_sender_stops_the_pass_without_blaming_anyone(clock, smtp_server, week_of_papers):
    smtp_server.refuse_sender = True
    alice = subscribe("alice@example.org")
    assert "refuses our sender" in run_command()
    alice.refresh_from_db()
    assert alice.bounce_count == 0 and alice.is_active
    digest = Digest.objects.get()
    assert (digest.status, digest.attempts) == (Digest.Status.QUEUED, 1)


def test_an_unreachable_server_leaves_the_queue_for_the_next_run(clock, settings, week_of_papers):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # discard port: closed
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    subscribe("alice@example.org")
    assert "cannot connect" in run_command()
    digest = Digest.objects.get()
    assert (digest.status, digest.attempts) == (Digest.Status.QUEUED, 0)


def test_a_crash_mid_send_then_a_rerun_sends_the_rest_and_nothing_twice(
    clock, smtp_server, week_of_papers, monkeypatch
):
    people = [f"reader{n}@example.org" for n in range(6)]
    for person in people:
        subscribe(person)
    monkeypatch.setattr(sender, "LEASE_BATCH", 2)  # rows 1-2, 3-4, 5-6 are leased together
    monkeypatch.setattr(sender, "CONNECTIONS", 1)  # so the crash is the only message in flight
    deliver, calls = Mailer.deliver, []

    def dies_on_the_third(self, message):
        calls.append(message)
        if len(calls) == 3:
            raise Crash  # rows 3 and 4 are leased, row 3 never reached the server
        return deliver(self, message)

    monkeypatch.setattr(Mailer, "deliver", dies_on_the_third)
    with pytest.raises(Crash):
        run()
    monkeypatch.setattr(Mailer, "deliver", deliver)
    assert len(smtp_server.received) == 2

    run()  # the two never leased go now; the two leased by the dead run wait for their lease to run out
    assert len(smtp_server.received) == 4
    clock.advance(minutes=9)
    run()
    assert len(smtp_server.received) == 4
    clock.advance(minutes=1)
    run()

    assert smtp_server.count_by_recipient() == dict.fromkeys(people, 1)
    assert Digest.objects.filter(status=Digest.Status.SENT).count() == 6


def test_a_crash_after_the_server_accepted_a_digest_sends_it_again_with_the_same_message_id(
    clock, smtp_server, week_of_papers, monkeypatch
):
    """The window SMTP leaves open: the server answered 250 and the process died before the row was
    marked sent. The sender is at-least-once: after the dead run's lease the digest goes again, with
    the same Message-ID (so mail clients can drop the repeat), rather than risk never sending it."""
    for person in ("alice@example.org", "bob@example.org"):
        subscribe(person)
    monkeypatch.setattr(sender, "CONNECTIONS", 1)
    mark_sent = DigestQuerySet.mark_sent

    def dies_before_marking(self, digests, now):
        if digests:
            raise Crash
        return mark_sent(self, digests, now)

    monkeypatch.setattr(DigestQuerySet, "mark_sent", dies_before_marking)
    with pytest.raises(Crash):
        run()
    monkeypatch.setattr(DigestQuerySet, "mark_sent", mark_sent)
    [accepted] = smtp_server.received
    [address] = accepted.recipients
    assert Digest.objects.get(subscription__email=address).status == Digest.Status.QUEUED

    run()  # both rows are held by the dead run's lease: nothing goes before it runs out
    assert len(smtp_server.received) == 1
    clock.advance(minutes=10)
    run()

    assert smtp_server.count_by_recipient() == {"alice@example.org": 1, "bob@example.org": 1, address: 2}
    first, again = smtp_server.messages_to(address)
    assert first["Message-ID"] == again["Message-ID"]
    assert Digest.objects.filter(status=Digest.Status.SENT).count() == 2


def test_a_crash_mid_queueing_then_a_rerun_queues_the_rest_and_nothing_twice(
    clock, smtp_server, week_of_papers, monkeypatch
):
    people = [f"reader{n}@example.org" for n in range(6)]
    for person in people:
        subscribe(person)
    monkeypatch.setattr(sender, "CHUNK", 2)  # three batches of two
    queue, calls = Digest.queue, []

    def dies_in_the_second_batch(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise Crash  # inside the batch's transaction: its claims are rolled back with it
        return queue(*args, **kwargs)

    monkeypatch.setattr(Digest, "queue", staticmethod(dies_in_the_second_batch))
    with pytest.raises(Crash):
        run()
    monkeypatch.setattr(Digest, "queue", queue)
    assert Digest.objects.count() == 2 and smtp_server.received == []
    assert Subscription.objects.due(clock()).count() == 4

    run()

    assert smtp_server.count_by_recipient() == dict.fromkeys(people, 1)
    assert Digest.objects.count() == 6


def test_a_period_queued_before_is_skipped_without_holding_up_the_others(clock, smtp_server, week_of_papers):
    alice, _bob = subscribe("alice@example.org"), subscribe("bob@example.org")
    Digest.objects.create(subscription=alice, period_key="daily:2026-03-03", first_day=day(0), last_day=day(0),
                          slot=at(day(1), 7, 0), message_id="<old@example.org>", not_before=clock(),
                          status=Digest.Status.SENT)
    queued, stats = run()
    assert (queued, stats["sent"]) == (1, 1)
    assert smtp_server.count_by_recipient() == {"bob@example.org": 1}
    alice.refresh_from_db()
    assert alice.next_digest_at == at(day(2), 7, 0)


def test_a_claim_is_a_conditional_update_only_one_copy_wins(clock, db):
    alice = subscribe("alice@example.org")
    stale = Subscription.objects.get(pk=alice.pk)
    assert alice.claim(clock()) is True
    assert stale.claim(clock()) is False
    assert Subscription.objects.get().next_digest_at == at(day(2), 7, 0)


def test_a_subscription_is_claimed_once_even_from_a_stale_copy(clock, week_of_papers):
    alice = subscribe("alice@example.org")
    stale = Subscription.objects.get(pk=alice.pk)
    assert sender.Sender().queue([alice], clock()) == 1
    assert sender.Sender().queue([stale], clock()) == 0
    digest, stale_digest = Digest.objects.get(), Digest.objects.get()
    assert digest.lease(clock()) is True
    assert stale_digest.lease(clock()) is False
    assert Digest.objects.get().attempts == 1


def test_a_digest_for_someone_who_unsubscribed_since_is_cancelled(clock, smtp_server, week_of_papers):
    alice = subscribe("alice@example.org")
    one_pass = sender.Sender()
    assert one_pass.queue([alice], clock()) == 1
    alice.unsubscribe(clock())
    one_pass.send_ready(clock())
    assert smtp_server.received == []
    assert Digest.objects.get().status == Digest.Status.CANCELLED


def test_a_paper_hidden_after_queueing_is_left_out(clock, smtp_server, week_of_papers):
    alice = subscribe("alice@example.org")
    one_pass = sender.Sender()
    one_pass.queue([alice], clock())
    Paper.objects.filter(arxiv_id="2603.00014").update(hidden=True)
    one_pass.send_ready(clock())
    [message] = smtp_server.messages_to("alice@example.org")
    assert numbers(message) == list(range(13, 4, -1))


def test_focus_on_keywords_and_organizations(clock, smtp_server, week_of_papers):
    subscribe("alice@example.org", keywords="problem 12, PROBLEM 7")
    bob = subscribe("bob@example.org")
    bob.focus_organizations.set([Organization.objects.get(slug="lantern")])
    run()
    assert numbers(smtp_server.messages_to("alice@example.org")[0]) == [12, 7]
    assert numbers(smtp_server.messages_to("bob@example.org")[0]) == [5]


def test_an_account_holder_with_no_signal_yet_gets_no_picks_section(clock, smtp_server, week_of_papers,
                                                                    django_user_model):
    dana = django_user_model.objects.create_user("dana", "dana@example.org", "pw")
    subscribe("dana@example.org", user=dana)
    run()
    [message] = smtp_server.messages_to("dana@example.org")
    assert "picked for you" not in plain(message).lower()
    assert Digest.objects.get().pick_ids == []


def test_picks_from_the_recommender_seam_get_their_own_section_and_are_never_repeated(
    clock, smtp_server, week_of_papers, django_user_model, monkeypatch
):
    dana = django_user_model.objects.create_user("dana", "dana@example.org", "pw")
    subscribe("dana@example.org", user=dana)
    subscribe("charlie@example.org")  # anonymous: the seam is never asked about him
    asked = []
    picks = list(Paper.objects.filter(arxiv_id__in=["2603.00003", "2603.00120", "2603.00014"])
                 .order_by("arxiv_id").values_list("pk", flat=True))

    def recommender(users, period, exclude, limit, embeddings=None):
        asked.append(([user.username for user in users], period.key, limit))
        return {user.pk: picks for user in users}

    monkeypatch.setattr(content, "personal_picks", recommender)
    run()
    assert asked == [(["dana"], "daily:2026-03-03", 5)]
    [message] = smtp_server.messages_to("dana@example.org")
    text = plain(message)
    top, _, picked = text.partition("PICKED FOR YOU")
    assert "Paper number 14" in top  # 14 is in the top ten, so it is not picked again
    assert "Paper number 3\n" in picked and "Paper number 120" in picked and "Paper number 14" not in picked
    assert "Picked for you" in html(message)

    clock.set(at(day(2)))
    run()  # the recommender offers the same papers again: none of them goes out twice
    second = plain(smtp_server.messages_to("dana@example.org")[1])
    assert "PICKED FOR YOU" not in second


def test_an_account_holder_with_two_subscriptions_gets_picks_in_both(
    clock, smtp_server, week_of_papers, django_user_model, monkeypatch
):
    dana = django_user_model.objects.create_user("dana", "dana@example.org", "pw")
    subscribe("dana@example.org", user=dana)
    subscribe("dana@work.example.org", user=dana)
    asked, pick = [], Paper.objects.get(arxiv_id="2603.00001").pk

    def recommender(users, period, exclude, limit, embeddings=None):
        asked.append([user.username for user in users])
        return {user.pk: [pick] for user in users}

    monkeypatch.setattr(content, "personal_picks", recommender)
    run()
    assert asked == [["dana"], ["dana"]]  # one batch each: a batch is keyed by user
    assert [digest.pick_ids for digest in Digest.objects.order_by("pk")] == [[pick], [pick]]


def test_picks_come_from_the_for_you_recommender(clock, smtp_server, week_of_papers, django_user_model):
    """Papers 1-3 and 110-111 share a topic; dana upvoted 110, so the recommender picks its neighbours
    (papers 1-3 are not in Monday's top ten, which is 14 down to 5)."""
    rng = np.random.default_rng(7)
    topics = {"lanterns": rng.normal(size=384), "other": rng.normal(size=384)}
    for stored in Paper.objects.all():
        n = int(stored.arxiv_id[-5:])
        vector = topics["lanterns" if n in (1, 2, 3, 110, 111) else "other"] + 0.3 * rng.normal(size=384)
        PaperEmbedding.objects.create(paper=stored, vector=vector_to_bytes(vector / np.linalg.norm(vector)))
    dana = django_user_model.objects.create_user("dana", "dana@example.org", "pw")
    Upvote.objects.create(user=dana, paper=Paper.objects.get(arxiv_id="2603.00110"))
    subscribe("dana@example.org", user=dana)

    run()

    [message] = smtp_server.messages_to("dana@example.org")
    top, _, picked = plain(message).partition("PICKED FOR YOU")
    picked_numbers = [int(n) for n in re.findall(r"arxiv\.org/abs/2603\.(\d{5})", picked)]
    assert len(picked_numbers) == 5 and set(picked_numbers[:4]) == {1, 2, 3, 111}  # the neighbours first
    assert not set(picked_numbers) & set(range(5, 15))  # nothing from the top ten again
    assert set(Digest.objects.get().pick_ids) == set(
        Paper.objects.filter(arxiv_id__in=[f"2603.{n:05d}" for n in picked_numbers]).values_list("pk", flat=True))

    clock.set(at(day(2)))  # Wednesday: new picks, none of Tuesday's again
    run()
    later = plain(smtp_server.messages_to("dana@example.org")[1]).partition("PICKED FOR YOU")[2]
    later_numbers = {int(n) for n in re.findall(r"arxiv\.org/abs/2603\.(\d{5})", later)}
    assert len(later_numbers) == 5 and not later_numbers & set(picked_numbers)


def test_a_failing_recommender_costs_the_picks_not_the_digest(clock, smtp_server, week_of_papers,
                                                              django_user_model, monkeypatch):
    dana = django_user_model.objects.create_user("dana", "dana@example.org", "pw")
    subscribe("dana@example.org", user=dana)

    def broken(*args, **kwargs):
        raise RuntimeError("the vector index is missing")

    monkeypatch.setattr(content.recommend, "rank_many", broken)
    run()
    [message] = smtp_server.messages_to("dana@example.org")
    assert numbers(message) == list(range(14, 4, -1))


def test_a_recommender_failing_for_one_user_costs_only_their_picks(clock, smtp_server, week_of_papers,
                                                                   django_user_model, monkeypatch):
    dana, erin = (django_user_model.objects.create_user(name, f"{name}@example.org", "pw") for name in ("dana", "erin"))
    subscribe("dana@example.org", user=dana)
    subscribe("erin@example.org", user=erin)
    pick = Paper.objects.get(arxiv_id="2603.00001").pk

    def fails_for_dana(user_ids, **kwargs):
        if dana.pk in user_ids:
            raise RuntimeError("dana's vectors are corrupt")
        return {user_id: [content.recommend.Ranked(pick, 1.0, "test")] for user_id in user_ids}

    monkeypatch.setattr(content.recommend, "rank_many", fails_for_dana)
    run()
    assert Digest.objects.get(subscription__email="erin@example.org").pick_ids == [pick]
    assert Digest.objects.get(subscription__email="dana@example.org").pick_ids == []


def test_it_will_not_mail_digests_over_smtp_without_site_url(clock, smtp_server, settings, week_of_papers):
    settings.SITE_URL = ""
    alice = subscribe("alice@example.org")
    with pytest.raises(CommandError, match=r"SITE_URL is not set, so links in digests would point at http://127"):
        run_command()
    assert smtp_server.received == [] and not Digest.objects.exists()
    assert list(Subscription.objects.due(clock())) == [alice], "nothing claimed: it waits for the setting"

    settings.SITE_URL = SITE_URL
    run()
    assert f"{SITE_URL}/papers/" in plain(smtp_server.messages_to("alice@example.org")[0])


def test_without_site_url_a_local_backend_still_gets_digests_linking_to_this_machine(clock, settings, week_of_papers):
    settings.SITE_URL = ""
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    subscribe("alice@example.org")
    run()
    [message] = mail.outbox
    assert "http://127.0.0.1/papers/" in message.body  # the first allowed host (lib/siteurl.py)


def test_dry_run_prints_what_would_go_out_and_changes_nothing(clock, smtp_server, week_of_papers):
    alice = subscribe("alice@example.org")
    out = io.StringIO()
    call_command("send_digests", "--dry-run", stdout=out)
    assert ("daily:2026-03-03 alice@example.org: 10 papers, 0 picks: "
            "Daily Papers, Monday, March 2: Paper number 14 (+9 more)") in out.getvalue()
    assert "1 digests would be queued" in out.getvalue()
    assert not Digest.objects.exists() and smtp_server.received == []
    assert Subscription.objects.get().next_digest_at == alice.next_digest_at


def test_loop_runs_a_pass_every_interval_until_stopped(clock, smtp_server, week_of_papers, monkeypatch):
    subscribe("alice@example.org")
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise KeyboardInterrupt
        clock.advance(days=1)

    monkeypatch.setattr(send_digests.time, "sleep", sleep)
    out = io.StringIO()
    call_command("send_digests", "--loop", "--interval", "5", stdout=out)
    assert sleeps == [5, 5]
    assert out.getvalue().strip().endswith("stopped")
    assert len(smtp_server.messages_to("alice@example.org")) == 2  # Tuesday's and Wednesday's


def test_the_worker_job_runs_one_pass(clock, smtp_server, week_of_papers, settings):
    subscribe("alice@example.org")
    [job] = [Job(*spec) for spec in settings.WORKER_JOBS if spec[0] == "digests"]
    result = job.function()()
    assert (result.queued, result.stats["sent"]) == (1, 1)
