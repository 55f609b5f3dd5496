"""Signed links for subscriptions: confirm, unsubscribe and manage, each with its own salt.

A token signs the subscription id and a short hash of its address, so a token for one purpose never
works for another and stops working if the address on file changes. Confirm links expire
(DIGEST_CONFIRM_MAX_AGE_DAYS); unsubscribe and manage links live as long as the emails that carry
them. Reading a token answers a subscription or None, never why: a bad link reveals nothing.
"""

import datetime as dt
import hashlib

from django.conf import settings
from django.core import signing

from .models import Subscription

CONFIRM, UNSUBSCRIBE, MANAGE = "confirm", "unsubscribe", "manage"
PURPOSES = (CONFIRM, UNSUBSCRIBE, MANAGE)


def _signer(purpose):
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    return signing.TimestampSigner(salt=f"dailypapers.digests.{purpose}")


def _address_hash(email):
    return hashlib.sha256(email.encode()).hexdigest()[:12]


def make(purpose, subscription):
    return _signer(purpose).sign(f"{subscription.pk}.{_address_hash(subscription.email)}")


def read(purpose, token):
    """The subscription a valid token names, else None."""
    max_age = dt.timedelta(days=settings.DIGEST_CONFIRM_MAX_AGE_DAYS) if purpose == CONFIRM else None
    try:
        value = _signer(purpose).unsign(token, max_age=max_age)
        pk, address_hash = value.split(".")
        subscription = Subscription.objects.get(pk=int(pk))
    except (signing.BadSignature, ValueError, Subscription.DoesNotExist):
        return None
    return subscription if address_hash == _address_hash(subscription.email) else None
