"""Abuse limits for community actions: each bucket counts per user and, separately, per IP address.

Limits are ``settings.RATE_LIMITS[bucket] = (requests, window seconds)``; both counters must allow a
request, so one account cannot hop addresses and one address cannot hop accounts. Refusals are a 429
page with the standard RateLimit headers and Retry-After.
"""

import functools

from django.shortcuts import render

from dailypapers.lib.ratelimit import client_ip, strictest


def check(request, bucket, ident=None):
    """Count one request in ``bucket``; return the refusing Verdict, or None when allowed.

    ``ident`` names the actor for anonymous requests (the username typed into a login form)."""
    idents = [f"ip:{client_ip(request)}"]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        idents.append(f"user:{user.pk}")
    elif ident:
        idents.append(f"name:{ident.strip().lower()[:150]}")
    return strictest(bucket, idents)


def too_many(request, verdict, bucket):
    response = render(request, "community/429.html", {"retry_after": verdict.retry_after, "bucket": bucket},
                      status=429)
    for name, value in verdict.headers().items():
        response[name] = value
    return response


def limited(bucket, methods=("POST",)):
    """View decorator: requests with one of ``methods`` count in ``bucket``; over the limit → 429."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods and (verdict := check(request, bucket)):
                return too_many(request, verdict, bucket)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
