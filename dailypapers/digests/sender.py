"""Sending digests: one pass queues the digests that are due, then sends what is queued.

Safe to run twice at once: a digest is claimed with a conditional UPDATE before it is queued, and a
queued digest is leased with another before it is sent. ``run_due`` is the worker's job; the
``send_digests`` command runs the same pass from cron or in a loop.
"""

import logging
from collections import Counter
from dataclasses import dataclass, field
from itertools import islice

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from dailypapers.accounts import emails
from dailypapers.lib import siteurl

from . import schedule
from .content import DigestBuilder
from .models import Digest, Subscription
from .render import DigestRenderer
from .sending import PERMANENT, SENT, SenderPool, ServerUnavailable

log = logging.getLogger(__name__)

CHUNK = 500  # rows read at a time: memory stays flat whatever the number of subscribers
# Outbox rows leased at once: fewer UPDATEs, and still sent well within SEND_LEASE by a slow server.
LEASE_BATCH = 50
# SMTP connections used at once, each by its own thread (sending.SenderPool; docs/performance.md).
CONNECTIONS = 3
# Backends that deliver nothing to anyone: fine without SITE_URL (links point at this machine).
LOCAL_BACKENDS = {f"django.core.mail.backends.{name}.EmailBackend" for name in ("console", "locmem", "filebased",
                                                                                "dummy")}


class NoSiteUrl(Exception):
    """Digests would go out over SMTP with links to this machine."""


@dataclass
class Pass:
    """What one pass did: digests queued, and sent / permanent / transient / cancelled counts."""

    queued: int = 0
    stats: Counter = field(default_factory=Counter)
    stopped: str = ""  # why sending stopped early (the SMTP server), else empty

    def summary(self):
        return (f"queued {self.queued} digest{'s' * (self.queued != 1)}; sent {self.stats['sent']}, "
                f"refused {self.stats['permanent']}, to retry {self.stats['transient']}, "
                f"cancelled {self.stats['cancelled']}")


def run_due(connections=None):
    """One pass: queue everything due, then send everything ready (raises NoSiteUrl first if need be).
    The worker's job (settings.WORKER_JOBS) and what each run of the command does."""
    check_site_url()
    now = timezone.now()
    sender = Sender(connections)
    sender.result.queued = sum(sender.queue(chunk, now) for chunk in due_chunks(now))
    sender.send_ready(now)
    return sender.result


def check_site_url():
    """Digests mailed for real need SITE_URL: without it their links would point at this machine.
    Checked before anything is claimed, so the digests wait, whole, for the setting."""
    if not settings.SITE_URL and settings.EMAIL_BACKEND not in LOCAL_BACKENDS:
        raise NoSiteUrl(
            f"SITE_URL is not set, so links in digests would point at {siteurl.site_url()} (this machine). "
            "Set SITE_URL to the site's public address, e.g. https://papers.example.org; "
            "nothing was queued or sent."
        )


def due_chunks(now):
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


def ready_digests(now):
    last_pk = 0
    while True:
        chunk = list(
            Digest.objects.ready(now).filter(pk__gt=last_pk).order_by("pk").select_related("subscription")[:CHUNK]
        )
        yield from chunk
        if len(chunk) < CHUNK:
            return
        last_pk = chunk[-1].pk


def batches(iterable, size):
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


class Sender:
    """One pass's state: a ranking cache shared by its digests and the counts of what it did."""

    def __init__(self, connections=None):
        self.connections = connections or CONNECTIONS
        self.builder, self.result = DigestBuilder(), Pass()

    # Queueing ---------------------------------------------------------------------------------

    def queue(self, subscriptions, now):
        """Claim the due digests of these subscribers and queue those with something new, in one
        transaction: claims, outbox rows and sent-paper log land together or not at all. Returns how
        many were queued; a subscriber another run claimed first, or with nothing new, adds none. The
        papers are chosen before the transaction, so the write lock is held for a few statements only."""
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
                return sum(self.queue([s], now) for s in subscriptions)
            # This period was queued before (its schedule was edited by hand): skip it, keep the claim.
            log.warning("digest %s for subscription %s was queued already", periods[subscriptions[0].pk].key,
                        subscriptions[0].pk)
            Subscription.objects.claim(subscriptions, now)
            return 0

    # Sending ----------------------------------------------------------------------------------

    def send_ready(self, now):
        """Send every ready digest over a few connections at once; a server that cannot be reached
        ends the sending (``result.stopped``). Rendering and every database write happen in this
        thread; the pool's threads only talk SMTP, and each result is recorded as it comes back."""
        renderer = DigestRenderer()
        try:
            with SenderPool(self.connections) as pool:
                try:
                    for batch in batches(ready_digests(now), LEASE_BATCH):
                        for digest in Digest.objects.lease(batch, timezone.now()):
                            self._record_all(pool.wait_idle())
                            if message := self.prepare(digest, renderer):
                                pool.send(digest, message)
                except ServerUnavailable:
                    self._record_all(pool.drain())  # what the other connections still had in flight
                    raise
                self._record_all(pool.drain())
        except ServerUnavailable as exc:
            log.warning("stopped sending digests: %s", exc)
            self.result.stopped = str(exc)

    def _record_all(self, finished):
        """Record what the senders finished: the accepted ones in one UPDATE, at once. Then an error
        a sender met is raised here; a server gone unavailable ends the pass that way."""
        now = timezone.now()
        outcomes = [(digest, result) for digest, result in finished if not isinstance(result, BaseException)]
        sent = [digest for digest, outcome in outcomes if outcome.kind == SENT]
        Digest.objects.mark_sent(sent, now)
        self.result.stats[SENT] += len(sent)
        for digest, outcome in outcomes:
            if outcome.kind == SENT:
                digest.subscription.record_delivery()
            else:
                self._record_failure(digest, outcome, now)
        errors = [(digest, result) for digest, result in finished if isinstance(result, BaseException)]
        for digest, error in errors:
            if isinstance(error, ServerUnavailable):
                digest.retry_later(now, str(error))
        if errors:
            raise errors[0][1]

    def prepare(self, digest, renderer):
        """The email for a digest this pass holds the lease of, or None: cancelled, because the
        subscriber left or every paper in it has been hidden since it was queued."""
        if not digest.subscription.is_active:
            return self._cancel(digest, f"subscription is {digest.subscription.status}")
        message = renderer.message(digest)
        if message is None:
            return self._cancel(digest, "every paper in it has been hidden since")
        return message

    def _record_failure(self, digest, outcome, now):
        self.result.stats[outcome.kind] += 1
        log.warning("digest %s to %s: %s", digest.pk, digest.subscription.email, outcome.error)
        if outcome.kind == PERMANENT:
            digest.mark_failed(outcome.error)
            digest.subscription.record_bounce()
        else:
            digest.retry_later(now, outcome.error)

    def _cancel(self, digest, reason):
        digest.cancel(reason)
        self.result.stats["cancelled"] += 1
        return None


def preview(now):
    """A dry run: one line per digest that would be queued now, and a last line; nothing changes."""
    builder, renderer = DigestBuilder(), DigestRenderer()
    lines, would = [], 0
    for subscription in (s for chunk in due_chunks(now) for s in chunk):
        period = schedule.period_for(subscription.frequency, subscription.next_digest_at, now)
        top, picks = builder.choose(subscription, period)
        if not (top or picks):
            lines.append(f"{period.key} {subscription.email}: nothing new, nothing would be sent")
            continue
        would += 1
        digest = Digest(subscription=subscription, period_key=period.key, first_day=period.first,
                        last_day=period.last, slot=period.slot, paper_ids=top, pick_ids=picks, message_id="")
        message = renderer.message(digest)
        lines.append(f"{period.key} {subscription.email}: {len(top)} papers, {len(picks)} picks: {message.subject}")
    ready = Digest.objects.ready(now).count()
    lines.append(f"dry run: {would} digests would be queued and {ready} queued ones sent; nothing changed")
    return lines
