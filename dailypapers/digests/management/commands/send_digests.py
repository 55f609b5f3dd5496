"""``dailypapers send_digests``: queue the digests that are due, then send what is queued.

Cron-friendly (runs what is due and exits; run it every few minutes), ``--loop`` for the worker,
``--dry-run`` to print what would go out without changing anything. Safe to run twice at once:
a digest is claimed with a conditional UPDATE before it is queued, and a queued digest is leased
with another before it is sent.
"""

import logging
import time
from collections import Counter
from itertools import islice

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone

from dailypapers.digests import emails, schedule
from dailypapers.digests.content import DigestBuilder
from dailypapers.digests.models import Digest, Subscription
from dailypapers.digests.sending import PERMANENT, SENT, SenderPool, ServerUnavailable

log = logging.getLogger(__name__)

CHUNK = 500  # rows read at a time: memory stays flat whatever the number of subscribers
# Outbox rows leased at once: fewer UPDATEs (a lease per 10 rows was a tenth of the sender's time),
# and still sent well within SEND_LEASE by a slow server.
LEASE_BATCH = 50
# SMTP connections used at once, each by its own thread (see sending.SenderPool). bench/digests.py,
# 20,000 subscribers, a local server: 153 sent/s over 1 connection, 240/s over 3, the same CPU per
# message (docs/performance.md).
CONNECTIONS = 3
# Backends that deliver nothing to anyone: fine without SITE_URL (links point at this machine).
LOCAL_BACKENDS = {f"django.core.mail.backends.{name}.EmailBackend" for name in ("console", "locmem", "filebased",
                                                                                "dummy")}


class Command(BaseCommand):
    help = "Queue the email digests that are due, then send the queued ones (--loop to keep going)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running: a pass every --interval seconds")
        parser.add_argument("--interval", type=int, default=60, help="seconds between passes with --loop")
        parser.add_argument("--dry-run", action="store_true", help="print what would go out; change nothing")
        parser.add_argument("--connections", type=int, default=None,
                            help=f"SMTP connections used at once (default {CONNECTIONS})")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.new_pass()

    verbosity = 1

    def new_pass(self):
        """A fresh ranking cache and fresh counters (sent, permanent, transient, cancelled)."""
        self.builder, self.stats = DigestBuilder(), Counter()

    connections = None

    def handle(self, *args, loop, interval, dry_run, verbosity, connections, **options):
        if connections is not None and connections < 1:
            raise CommandError("--connections must be at least 1")
        self.verbosity, self.connections = verbosity, connections
        if dry_run:
            return self.dry_run(timezone.now())
        try:
            self.run_once()
            while loop:
                time.sleep(interval)
                self.refresh_connections()
                self.run_once()
        except KeyboardInterrupt:
            self.stdout.write("stopped")

    @staticmethod
    def refresh_connections():
        """A long-lived process must not reuse a connection the database dropped (not inside a
        transaction, where closing would break it: tests run in one)."""
        if not connection.in_atomic_block:
            close_old_connections()

    def run_once(self):
        """One pass: queue everything due, then send everything ready. Returns (queued, Counter)."""
        check_site_url()
        now = timezone.now()
        self.new_pass()
        queued = sum(self.handle_batch(chunk, now) for chunk in self.due_chunks(now))
        self.send_ready(now)
        if queued or self.stats or self.verbosity > 1:  # quiet when idle: cron mails any output
            self.stdout.write(
                f"queued {queued} digest{'s' * (queued != 1)}; sent {self.stats['sent']}, "
                f"refused {self.stats['permanent']}, to retry {self.stats['transient']}, "
                f"cancelled {self.stats['cancelled']}"
            )
        return queued, self.stats

    # Queueing ---------------------------------------------------------------------------------

    def due_chunks(self, now):
        """Due subscriptions in id order, CHUNK at a time (claimed ones drop out as we go)."""
        last_pk = 0
        while True:
            chunk = list(
                Subscription.objects.due(now).filter(pk__gt=last_pk).order_by("pk")
                .select_related("user").prefetch_related("focus_organizations")[:CHUNK]
            )
            if chunk:
                yield chunk
            if len(chunk) < CHUNK:
                return
            last_pk = chunk[-1].pk

    def handle_one_subscription(self, subscription, now):
        """Claim this subscriber's due digest and queue it. True when a digest was queued; False when
        another run claimed it first or there was nothing new (the claim still moves them on)."""
        return self.handle_batch([subscription], now) == 1

    def handle_batch(self, subscriptions, now):
        """Claim the due digests of these subscribers and queue those with something new, in one
        transaction: claims, outbox rows and sent-paper log land together or not at all. The papers are
        chosen before the transaction, so the write lock is held for a few statements only."""
        periods = {s.pk: schedule.period_for(s.frequency, s.next_digest_at, now) for s in subscriptions}
        chosen = self.builder.choose_many([(s, periods[s.pk]) for s in subscriptions])
        try:
            with transaction.atomic():
                claimed = Subscription.objects.claim(subscriptions, now)
                entries = [(s, periods[s.pk], *chosen[s.pk], emails.new_message_id())
                           for s in claimed if any(chosen[s.pk])]
                return len(Digest.queue(entries, now))
        except IntegrityError:
            if len(subscriptions) > 1:  # find the culprit: one subscriber at a time
                return sum(self.handle_batch([s], now) for s in subscriptions)
            # This period was queued before (its schedule was edited by hand): skip it, keep the claim.
            log.warning("digest %s for subscription %s was queued already", periods[subscriptions[0].pk].key,
                        subscriptions[0].pk)
            Subscription.objects.claim(subscriptions, now)
            return 0

    # Sending ----------------------------------------------------------------------------------

    def ready_digests(self, now):
        last_pk = 0
        while True:
            chunk = list(
                Digest.objects.ready(now).filter(pk__gt=last_pk).order_by("pk").select_related("subscription")[:CHUNK]
            )
            yield from chunk
            if len(chunk) < CHUNK:
                return
            last_pk = chunk[-1].pk

    def send_ready(self, now):
        """Send every ready digest over a few connections at once (CONNECTIONS); a server that cannot
        be reached ends the pass. Rendering and every database write happen here, in this thread; the
        pool's threads only talk SMTP, and each result is recorded as soon as it comes back."""
        renderer = emails.DigestRenderer()
        try:
            with SenderPool(self.connections or CONNECTIONS) as pool:
                try:
                    for batch in batches(self.ready_digests(now), LEASE_BATCH):
                        for digest in Digest.objects.lease(batch, timezone.now()):
                            self._record_all(pool.wait_idle())
                            if message := self.prepare(digest, renderer):
                                pool.send(digest, message)
                except ServerUnavailable:
                    self._record_all(pool.drain())  # what the other connections still had in flight
                    raise
                self._record_all(pool.drain())
        except ServerUnavailable as exc:
            self.stderr.write(f"stopped sending: {exc}")

    def _record_all(self, finished):
        """Record what the senders finished: the accepted ones in one UPDATE, at once. Then an error
        a sender met is raised here; a server gone unavailable ends the pass that way."""
        now = timezone.now()
        outcomes = [(digest, result) for digest, result in finished if not isinstance(result, BaseException)]
        sent = [digest for digest, outcome in outcomes if outcome.kind == SENT]
        Digest.objects.mark_sent(sent, now)
        self.stats[SENT] += len(sent)
        for digest, outcome in outcomes:
            if outcome.kind == SENT:
                digest.subscription.record_delivery()
            else:
                self._record(digest, outcome, now)
        errors = [(digest, result) for digest, result in finished if isinstance(result, BaseException)]
        for digest, error in errors:
            if isinstance(error, ServerUnavailable):
                digest.retry_later(now, str(error))
        if errors:
            raise errors[0][1]

    def handle_one_digest(self, digest, mailer, renderer=None):
        """Lease one queued digest and send it over ``mailer``. True when the SMTP server accepted
        it; False when another run has it, it was sent meanwhile, or it could not be sent."""
        if not digest.lease(timezone.now()):
            return False
        message = self.prepare(digest, renderer)
        if message is None:
            return False
        try:
            outcome = mailer.deliver(message)
        except ServerUnavailable as exc:
            digest.retry_later(timezone.now(), str(exc))
            raise
        return self._record(digest, outcome, timezone.now())

    def prepare(self, digest, renderer=None):
        """The email for a digest this run holds the lease of, or None: cancelled, because the
        subscriber left or every paper in it has been hidden since it was queued."""
        if not digest.subscription.is_active:
            return self._cancel(digest, f"subscription is {digest.subscription.status}")
        message = emails.digest_email(digest, renderer)
        if message is None:
            return self._cancel(digest, "every paper in it has been hidden since")
        return message

    def _record(self, digest, outcome, now):
        self.stats[outcome.kind] += 1
        if outcome.kind == SENT:
            digest.mark_sent(now)
            digest.subscription.record_delivery()
            return True
        log.warning("digest %s to %s: %s", digest.pk, digest.subscription.email, outcome.error)
        if outcome.kind == PERMANENT:
            digest.mark_failed(outcome.error)
            digest.subscription.record_bounce()
        else:
            digest.retry_later(now, outcome.error)
        return False

    def _cancel(self, digest, reason):
        digest.cancel(reason)
        self.stats["cancelled"] += 1
        return None

    # Dry run ----------------------------------------------------------------------------------

    def dry_run(self, now):
        try:
            check_site_url()
        except CommandError as exc:
            self.stderr.write(f"warning: {exc}")
        would = 0
        for subscription in (s for chunk in self.due_chunks(now) for s in chunk):
            period = schedule.period_for(subscription.frequency, subscription.next_digest_at, now)
            top, picks = self.builder.choose(subscription, period)
            if not (top or picks):
                self.stdout.write(f"{period.key} {subscription.email}: nothing new, nothing would be sent")
                continue
            would += 1
            preview = Digest(subscription=subscription, period_key=period.key, first_day=period.first,
                             last_day=period.last, slot=period.slot, paper_ids=top, pick_ids=picks, message_id="")
            message = emails.digest_email(preview)
            self.stdout.write(f"{period.key} {subscription.email}: {len(top)} papers, {len(picks)} picks: "
                              f"{message.subject}")
        ready = Digest.objects.ready(now).count()
        self.stdout.write(f"dry run: {would} digests would be queued and {ready} queued ones sent; nothing changed")


def check_site_url():
    """Digests mailed for real need SITE_URL: without it their links would point at this machine.
    Checked before anything is claimed, so the digests wait, whole, for the setting."""
    if not settings.SITE_URL and settings.EMAIL_BACKEND not in LOCAL_BACKENDS:
        raise CommandError(
            f"SITE_URL is not set, so links in digests would point at {emails.fallback_site_url()} (this "
            "machine). Set SITE_URL to the site's public address, e.g. https://papers.example.org; "
            "nothing was queued or sent."
        )


def batches(iterable, size):
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


def run_due():
    """The worker's job (settings.WORKER_JOBS): one pass, like a cron run of the command."""
    return Command().run_once()
