"""The digests' part in the account pages and the data export (``accounts.lifecycle``)."""

from django.db.models import Q
from django.dispatch import receiver
from django.urls import reverse

from dailypapers.accounts import lifecycle

from .models import Subscription


def subscription_of(user):
    """The user's digest subscription, with the link to manage it; None if they have none."""
    subscription = Subscription.objects.filter(Q(user=user) | Q(email__iexact=user.email)).first()
    if subscription is None:
        return None
    subscription.manage_url = reverse("digests:manage", args=[subscription.link_token("manage")])
    return subscription


@receiver(lifecycle.exporting)
def export(sender, user, **kwargs):
    subscription = subscription_of(user)
    if subscription is None:
        return {"digest_subscriptions": []}
    return {"digest_subscriptions": [{
        "email": subscription.email, "frequency": subscription.frequency, "status": subscription.status,
        "focus_categories": subscription.focus_categories, "focus_keywords": subscription.focus_keywords}]}
