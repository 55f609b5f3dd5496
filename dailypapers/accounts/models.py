"""A custom user model from day one, so profile fields can be added without a painful swap later.

Besides Django's fields a user has a verified email address (until then their votes do not count), a
suspension mark set by moderators, notification preferences, and API tokens (``ApiToken``).
"""

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

# Shown on the token list so a user can tell tokens apart; long enough to be distinctive, far too
# short to be useful to whoever reads it over a shoulder.
TOKEN_PREFIX = "dp_"  # noqa: S105 - a public marker, not a secret
TOKEN_SHOWN_CHARS = 10


class User(AbstractUser):
    display_name = models.CharField(max_length=150, blank=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # Suspended users cannot log in (is_active is cleared too) and their votes stop counting.
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.CharField(max_length=255, blank=True)
    notify_comments_on_submissions = models.BooleanField("Email me about comments on papers I submitted",
                                                         default=True)
    notify_thread_replies = models.BooleanField("Email me about replies in threads I wrote in", default=True)
    # Part of every session's auth hash: bumping it ends all the account's sessions at once (suspension).
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    class Meta(AbstractUser.Meta):
        constraints = [
            # Case-insensitive: Alice@Example.org and alice@example.org are one mailbox in practice.
            models.UniqueConstraint(Lower("email"), condition=~Q(email=""), name="unique_user_email_ci"),
        ]

    def __str__(self):
        return self.display_name or self.username

    def get_absolute_url(self):
        return reverse("accounts:profile", args=[self.username])

    def _get_session_auth_hash(self, secret=None):
        # Django compares each request's session with this hash and ends the session on a mismatch.
        # Generation 0 keeps the stock hash, so sessions made before the field existed stay valid.
        stock = super()._get_session_auth_hash(secret=secret)
        if not self.session_generation:
            return stock
        return salted_hmac("dailypapers.accounts.session-generation", f"{stock}:{self.session_generation}",
                           secret=secret, algorithm="sha256").hexdigest()

    @property
    def is_verified(self):
        return self.email_verified_at is not None

    @property
    def is_suspended(self):
        return self.suspended_at is not None

    @property
    def counts_votes(self):
        """Whether this user's upvotes are in Paper.local_upvotes: verified and not suspended."""
        return self.is_verified and not self.is_suspended


def hash_token(raw):
    """API tokens are 240-bit random strings, so a fast hash is enough: no guessing attack is feasible."""
    return hashlib.sha256(raw.encode()).hexdigest()


TOKEN_USE_RESOLUTION = timedelta(minutes=1)


class ApiTokenQuerySet(models.QuerySet):
    def authenticate(self, raw):
        """The active user owning the raw token, or None; records when the token was last used."""
        if not raw or not raw.startswith(TOKEN_PREFIX):
            return None
        token = self.select_related("user").filter(token_hash=hash_token(raw)).first()
        if token is None or not token.user.is_active:
            return None
        now = timezone.now()
        # "Last used" to the minute is all the settings page shows; writing it on every request would
        # make each token read a database write (a write lock on SQLite).
        if token.last_used_at is None or now - token.last_used_at >= TOKEN_USE_RESOLUTION:
            self.filter(pk=token.pk).update(last_used_at=now)
        return token.user


class ApiToken(models.Model):
    """A personal API token. Only its hash is stored: the token itself is shown once, at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=TOKEN_SHOWN_CHARS)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, user, name):
        """Create a token; return ``(token, raw)``. ``raw`` is never stored and cannot be recovered."""
        raw = TOKEN_PREFIX + secrets.token_urlsafe(30)
        token = cls.objects.create(user=user, name=name, prefix=raw[:TOKEN_SHOWN_CHARS], token_hash=hash_token(raw))
        return token, raw
