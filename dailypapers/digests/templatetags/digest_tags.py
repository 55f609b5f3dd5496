"""The digests' part of the account settings page, so that accounts need not import digests."""

from django import template

from dailypapers.digests.accounts import subscription_of

register = template.Library()


@register.simple_tag
def digest_subscription(user):
    return subscription_of(user)
