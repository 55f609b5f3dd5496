"""Account links (lib/signed.py): email verification (also confirms a changed address) and one-click
unsubscribe from comment notifications. Reading a bad link raises signed.BadLink.

A verification token signs the user id and the address: following it marks that address verified for
that user, which also covers changing one's email (the change waits in the token until clicked). Links
expire after ``EMAIL_VERIFY_MAX_AGE_S``. Unsubscribe tokens do not expire: an old email's link must work.
"""

import base64

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dailypapers.lib.signed import BadLink, make, read
from dailypapers.papers import votes

from .models import User

VERIFY_SALT = "accounts.verify-email"
UNSUBSCRIBE_SALT = "accounts.unsubscribe"
# Preference fields a one-click unsubscribe link may switch off.
UNSUBSCRIBABLE = {
    "submissions": "notify_comments_on_submissions",
    "replies": "notify_thread_replies",
}


def email_token(user, address):
    # The address is encoded: any character may be in it, a token has only URL-safe ones.
    return make(VERIFY_SALT, user.pk, base64.urlsafe_b64encode(address.encode()).decode().rstrip("="))


def read_email_token(token):
    """``(user, address)`` for a valid, unexpired token; raise BadLink otherwise."""
    user_id, encoded = read(VERIFY_SALT, token, 2, max_age=settings.EMAIL_VERIFY_MAX_AGE_S)
    user = User.objects.filter(pk=user_id).first() if user_id.isdigit() else None
    if user is None:
        raise BadLink("This link belongs to an account that no longer exists.")
    return user, base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()


def email_taken(address, exclude=None):
    others = User.objects.filter(email__iexact=address)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    return others.exists()


def verify_email(user, address):
    """Make ``address`` the user's verified email; their votes start counting. Return the fresh user."""
    with transaction.atomic():
        user = votes.lock_user(user)
        if email_taken(address, exclude=user):
            raise BadLink("Another account has verified this address in the meantime.")
        counted_before = user.counts_votes
        user.email = address
        user.email_verified_at = user.email_verified_at or timezone.now()
        user.save(update_fields=["email", "email_verified_at"])
        if user.counts_votes and not counted_before:
            votes.shift_counts(user, +1)
    return user


def unsubscribe_token(user, kind):
    return make(UNSUBSCRIBE_SALT, user.pk, kind)


def read_unsubscribe_token(token):
    """``(user, preference field)``; raise BadLink for a forged or stale link."""
    user_id, kind = read(UNSUBSCRIBE_SALT, token, 2)
    user = User.objects.filter(pk=user_id).first() if user_id.isdigit() else None
    if user is None or kind not in UNSUBSCRIBABLE:
        raise BadLink("This unsubscribe link no longer applies.")
    return user, UNSUBSCRIBABLE[kind]
