"""Subscriptions, the outbox of digests (one row per subscriber and period) and the sent-paper log.

Sending is claim → outbox → SMTP. A subscription's digest for a period is claimed by moving its
``next_digest_at`` on with a conditional UPDATE (only rows still due change, so two workers never
both win), and the claim, the outbox row and the sent-paper log are written in one transaction
before anything is sent. Outbox rows are then leased a few at a time (another conditional UPDATE, on
``not_before``) for sending, so a crashed run leaves nothing half-done that a rerun cannot finish.
"""

import datetime as dt
import hashlib
import uuid
from collections import defaultdict
from typing import NamedTuple

from django.conf import settings
from django.db import connection, models
from django.db.models import F
from django.utils import timezone

from dailypapers.lib import signed
from dailypapers.papers.models import Organization, Paper

from . import schedule

# How long a sender owns a leased outbox row: a run that dies mid-send frees its row after this.
SEND_LEASE = dt.timedelta(minutes=10)
# Waits after transient SMTP failures (4xx, dropped connections); after the last one we give up.
RETRY_DELAYS = (dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=15),
                dt.timedelta(hours=1), dt.timedelta(hours=3), dt.timedelta(hours=6))
# What a subscription's signed links do, each signed with a salt of its own.
CONFIRM, UNSUBSCRIBE, MANAGE = "confirm", "unsubscribe", "manage"
LINK_PURPOSES = (CONFIRM, UNSUBSCRIBE, MANAGE)


def _link_salt(purpose):
    if purpose not in LINK_PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    return f"dailypapers.digests.{purpose}"


def _address_hash(email):
    return hashlib.sha256(email.encode()).hexdigest()[:12]


class SubscriptionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Subscription.Status.ACTIVE)

    def due(self, now):
        return self.active().filter(next_digest_at__lte=now)

    def for_address(self, email, user, now):
        """The subscription a subscribe form names: the existing one, or a new pending one. An account
        holder subscribing their own address while signed in is linked to it (for "Picked for you")."""
        subscription, _ = self.get_or_create(email=email, defaults={"created_at": now})
        own_address = user is not None and user.is_authenticated and (user.email or "").lower() == email
        if own_address and subscription.user_id is None:
            subscription.user = user
            subscription.save(update_fields=["user"])
        return subscription

    def from_link(self, purpose, token):
        """The subscription a valid link token names; signed.BadLink otherwise. Confirm links expire
        (DIGEST_CONFIRM_MAX_AGE_DAYS); unsubscribe and manage links live as long as their emails."""
        max_age = dt.timedelta(days=settings.DIGEST_CONFIRM_MAX_AGE_DAYS) if purpose == CONFIRM else None
        pk, address_hash = signed.read(_link_salt(purpose), token, 2, max_age)
        subscription = self.filter(pk=int(pk)).first() if pk.isdigit() else None
        if subscription is None or address_hash != _address_hash(subscription.email):
            raise signed.BadLink("This link is not valid.")
        return subscription

    def claim(self, subscriptions, now):
        """Claim the due digests of these subscribers; return those we won. One conditional UPDATE per
        frequency moves every row that is still due on to its next slot and stamps it with a fresh
        token; the rows carrying our token are ours. A row another run claimed first is no longer due,
        so it is not touched (PostgreSQL re-checks the condition after waiting for that run's lock;
        SQLite runs one writer at a time)."""
        token = uuid.uuid4().hex
        ids_by_frequency = defaultdict(list)
        for subscription in subscriptions:
            ids_by_frequency[subscription.frequency].append(subscription.pk)
        slots = {frequency: schedule.next_slot(frequency, now) for frequency in ids_by_frequency}
        for frequency, ids in ids_by_frequency.items():
            self.active().filter(pk__in=ids, frequency=frequency, next_digest_at__lte=now).update(
                next_digest_at=slots[frequency], claimed_by=token
            )
        won = set(self.filter(pk__in=[s.pk for s in subscriptions], claimed_by=token).values_list("pk", flat=True))
        for subscription in subscriptions:
            if subscription.pk in won:
                subscription.next_digest_at = slots[subscription.frequency]
        return [subscription for subscription in subscriptions if subscription.pk in won]


class Subscription(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for confirmation"
        ACTIVE = "active", "Subscribed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCING = "bouncing", "Paused: the address bounces"

    class Frequency(models.TextChoices):
        DAILY = schedule.DAILY, "Daily (weekdays)"
        WEEKLY = schedule.WEEKLY, "Weekly (Mondays)"

    # Stored lower-cased (see normalize_email), so one address is one subscription.
    email = models.EmailField(max_length=254, unique=True)
    # Set when an account holder subscribed while signed in: they get "Picked for you".
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="digest_subscriptions"
    )
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.DAILY)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # Optional focus; a paper matching any of them is in. Space-separated arXiv category codes.
    focus_categories = models.CharField(max_length=500, blank=True)
    # Comma-separated phrases matched in titles and abstracts.
    focus_keywords = models.CharField(max_length=500, blank=True)
    focus_organizations = models.ManyToManyField(Organization, blank=True, related_name="+")
    # The claim: the next slot this subscriber is due at; null until confirmed.
    next_digest_at = models.DateTimeField(null=True, blank=True)
    # The token of the run that last claimed a digest of theirs (see SubscriptionQuerySet.claim).
    claimed_by = models.CharField(max_length=32, blank=True)
    # Consecutive digests refused with a permanent (5xx) SMTP answer.
    bounce_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["status", "next_digest_at"], name="digest_sub_due")]

    def __str__(self):
        return f"{self.email} ({self.frequency}, {self.status})"

    @staticmethod
    def normalize_email(address):
        return address.strip().lower()

    @property
    def is_active(self):
        return self.status == self.Status.ACTIVE

    def link_token(self, purpose):
        """The signed token of this subscription's confirm, unsubscribe or manage link. It signs a hash
        of the address, so it stops working if the address on file changes."""
        return signed.make(_link_salt(purpose), self.pk, _address_hash(self.email))

    @property
    def focus(self):
        return Focus(
            tuple(sorted(set(self.focus_categories.split()))),
            tuple(sorted({k.strip().lower() for k in self.focus_keywords.split(",") if k.strip()})),
            tuple(sorted(org.pk for org in self.focus_organizations.all())),
        )

    def claim(self, now):
        """Claim this subscriber's due digest. True: it is ours to queue."""
        return Subscription.objects.claim([self], now) == [self]

    def activate(self, now):
        """Confirmed (or resumed): due at the next slot, bounces forgiven."""
        self.status = self.Status.ACTIVE
        self.confirmed_at = self.confirmed_at or now
        self.unsubscribed_at = None
        self.bounce_count = 0
        self.next_digest_at = schedule.next_slot(self.frequency, now)
        self.save(update_fields=["status", "confirmed_at", "unsubscribed_at", "bounce_count", "next_digest_at"])

    def unsubscribe(self, now):
        if self.status == self.Status.UNSUBSCRIBED:
            return
        self.status = self.Status.UNSUBSCRIBED
        self.unsubscribed_at = now
        self.next_digest_at = None
        self.save(update_fields=["status", "unsubscribed_at", "next_digest_at"])

    def change_frequency(self, frequency, now):
        if frequency != self.frequency:
            self.frequency = frequency
            if self.is_active:
                self.next_digest_at = schedule.next_slot(frequency, now)

    def record_bounce(self):
        """Count a permanent refusal; at DIGEST_BOUNCE_LIMIT in a row the address stops getting mail."""
        Subscription.objects.filter(pk=self.pk).update(bounce_count=F("bounce_count") + 1)
        Subscription.objects.filter(
            pk=self.pk, status=self.Status.ACTIVE, bounce_count__gte=settings.DIGEST_BOUNCE_LIMIT
        ).update(status=self.Status.BOUNCING, next_digest_at=None)

    def record_delivery(self):
        if self.bounce_count:
            Subscription.objects.filter(pk=self.pk).update(bounce_count=0)


class Focus(NamedTuple):
    """A subscriber's focus; empty everywhere means every paper. Hashable: subscribers sharing one
    share a ranking."""

    categories: tuple = ()
    keywords: tuple = ()
    organizations: tuple = ()  # ids

    def __bool__(self):
        return any(self)


class DigestQuerySet(models.QuerySet):
    def ready(self, now):
        """Queued rows nobody holds a lease on and whose retry wait is over."""
        return self.filter(status=Digest.Status.QUEUED, not_before__lte=now)

    def lease(self, digests, now):
        """Take these rows for sending; return those we got. A conditional UPDATE pushes ``not_before``
        of the rows that are still ready a lease ahead and stamps them with a fresh token; a row another
        run took first is not ready any more, so it is not touched."""
        token, ids = uuid.uuid4().hex, [digest.pk for digest in digests]
        self.ready(now).filter(pk__in=ids).update(
            not_before=now + SEND_LEASE, attempts=F("attempts") + 1, leased_by=token
        )
        won = set(self.filter(pk__in=ids, leased_by=token).values_list("pk", flat=True))
        for digest in digests:
            if digest.pk in won:
                digest.attempts, digest.not_before = digest.attempts + 1, now + SEND_LEASE
        return [digest for digest in digests if digest.pk in won]

    def mark_sent(self, digests, now):
        """Mark these rows sent in one UPDATE (the sender records what came back together)."""
        self.filter(pk__in=[digest.pk for digest in digests]).update(status=Digest.Status.SENT, sent_at=now,
                                                                       last_error="")
        for digest in digests:
            digest.status, digest.sent_at, digest.last_error = Digest.Status.SENT, now, ""


class Digest(models.Model):
    """The outbox: one digest for one subscriber and one period, written before it is sent."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled (unsubscribed or nothing left to send)"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="digests")
    period_key = models.CharField(max_length=40)
    first_day = models.DateField()
    last_day = models.DateField()
    slot = models.DateTimeField(help_text="When it was due; the trending reference time")
    paper_ids = models.JSONField(default=list, help_text="The period's top papers, in order")
    pick_ids = models.JSONField(default=list, help_text="Picked for you, in order")
    # Fixed when queued: a retry carries the same Message-ID, so receivers can tell a repeat.
    message_id = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Lease and back-off in one: nobody may try to send the row before this instant.
    not_before = models.DateTimeField()
    # The token of the run that last leased it (see DigestQuerySet.lease).
    leased_by = models.CharField(max_length=32, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = DigestQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscription", "period_key"], name="one_digest_per_period")]
        indexes = [models.Index(fields=["status", "not_before"], name="digest_ready")]

    def __str__(self):
        return f"{self.period_key} → {self.subscription_id} ({self.status})"

    @classmethod
    def queue(cls, entries, now):
        """Outbox rows and their sent-paper log for claimed digests, in a few INSERTs (call inside the
        claim's transaction). ``entries``: (subscription, period, paper ids, pick ids, Message-ID)."""
        digests = cls.objects.bulk_create(
            cls(subscription=subscription, period_key=period.key, first_day=period.first, last_day=period.last,
                slot=period.slot, paper_ids=paper_ids, pick_ids=pick_ids, message_id=message_id, not_before=now,
                created_at=now)
            for subscription, period, paper_ids, pick_ids, message_id in entries
        )
        SentPaper.log([(digest.subscription_id, pk, digest.pk)
                       for digest in digests for pk in [*digest.paper_ids, *digest.pick_ids]])
        return digests

    @property
    def period(self):
        return schedule.DigestPeriod(self.period_key.split(":")[0], self.first_day, self.last_day, self.slot)

    def lease(self, now):
        """Take the row for sending, if it is still ready. True: this process sends it."""
        return Digest.objects.lease([self], now) == [self]

    def mark_sent(self, now):
        self._finish(self.Status.SENT, sent_at=now, last_error="")

    def mark_failed(self, error):
        self._finish(self.Status.FAILED, last_error=error[:2000])

    def cancel(self, reason):
        self._finish(self.Status.CANCELLED, last_error=reason)

    def retry_later(self, now, error):
        """Back off after a transient failure; give up after the last delay."""
        if self.attempts > len(RETRY_DELAYS):
            return self.mark_failed(f"gave up after {self.attempts} attempts: {error}")
        self.not_before = now + RETRY_DELAYS[self.attempts - 1]
        self.last_error = error[:2000]
        Digest.objects.filter(pk=self.pk).update(not_before=self.not_before, last_error=self.last_error)

    def _finish(self, status, **fields):
        self.status = status
        for name, value in fields.items():
            setattr(self, name, value)
        Digest.objects.filter(pk=self.pk).update(status=status, **fields)


class SentPaper(models.Model):
    """Every paper a subscriber has been given, so none is ever sent to them twice."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="sent_papers")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="sent_papers")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscription", "paper"], name="paper_sent_once")]

    def __str__(self):
        return f"{self.paper_id} → {self.subscription_id}"

    @classmethod
    def log(cls, rows):
        """Insert ``(subscription id, paper id, digest id)`` rows in one executemany: about ten rows go
        with every digest, and bulk_create's per-object work was most of the queueing time
        (docs/performance.md)."""
        quote = connection.ops.quote_name
        columns = ", ".join(quote(cls._meta.get_field(name).column) for name in ("subscription", "paper", "digest"))
        with connection.cursor() as cursor:
            # Names from the model's own metadata, quoted; the values are parameters.
            sql = f"INSERT INTO {quote(cls._meta.db_table)} ({columns}) VALUES (%s, %s, %s)"  # noqa: S608
            cursor.executemany(sql, rows)
