"""Signed links: email verification (also confirms a changed address) and one-click unsubscribe.

A verification token signs ``(user id, address)``: following it marks that address verified for that
user, which also covers changing one's email (the change waits in the token until clicked). Links
expire after ``EMAIL_VERIFY_MAX_AGE_S``. Unsubscribe tokens do not expire: an old email's link must work.
"""

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from dailypapers.papers import votes

from .models import User

VERIFY_SALT = "accounts.verify-email"
UNSUBSCRIBE_SALT = "accounts.unsubscribe"
# Preference fields a one-click unsubscribe link may switch off.
UNSUBSCRIBABLE = {
    "submissions": "notify_comments_on_submissions",
    "replies": "notify_thread_replies",
}


class BadToken(ValueError):
    pass


def email_token(user, address):
    return signing.dumps({"u": user.pk, "e": address}, salt=VERIFY_SALT, compress=True)


def read_email_token(token):
    """``(user, address)`` for a valid, unexpired token; raise BadToken otherwise."""
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=settings.EMAIL_VERIFY_MAX_AGE_S)
    except signing.SignatureExpired:
        raise BadToken("This link has expired. Ask for a new one from your settings.") from None
    except signing.BadSignature:
        raise BadToken("This link is not valid. Check that you copied all of it.") from None
    user = User.objects.filter(pk=data.get("u")).first()
    if user is None:
        raise BadToken("This link belongs to an account that no longer exists.")
    return user, data.get("e", "")


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
            raise BadToken("Another account has verified this address in the meantime.")
        counted_before = user.counts_votes
        user.email = address
        user.email_verified_at = user.email_verified_at or timezone.now()
        user.save(update_fields=["email", "email_verified_at"])
        if user.counts_votes and not counted_before:
            votes.shift_counts(user, +1)
    return user


def unsubscribe_token(user, kind):
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(f"{user.pk}:{kind}")


def read_unsubscribe_token(token):
    """``(user, preference field)``; raise BadToken for a forged or stale link."""
    try:
        value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        raise BadToken("This unsubscribe link is not valid.") from None
    user_id, _, kind = value.partition(":")
    user = User.objects.filter(pk=user_id).first()
    if user is None or kind not in UNSUBSCRIBABLE:
        raise BadToken("This unsubscribe link no longer applies.")
    return user, UNSUBSCRIBABLE[kind]
