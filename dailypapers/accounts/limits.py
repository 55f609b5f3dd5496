"""Abuse limits for community actions (``settings.RATE_LIMITS``), counted per user and per IP address:
both must allow a request, so neither an account nor an address can hop the other.

Log-in guesses also count per account in a higher ceiling that only slows, and that a browser which
logged in before skips, so an attack from elsewhere cannot lock the owner out. Mails count per sender
and per target address.
"""

import functools

from django.conf import settings
from django.core import signing
from django.db.models import Q
from django.shortcuts import render

from dailypapers.lib.ratelimit import client_ip, strictest

from .models import User

DEVICE_COOKIE = "dp_device"
DEVICE_SALT = "accounts.login-device"
DEVICE_MAX_AGE_S = 365 * 24 * 3600


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


def check_login(request, typed):
    """Count one log-in attempt for the account ``typed`` names (a username or an email: one counter);
    return the refusing Verdict, or None."""
    account, address = _account_key(typed), f"ip:{client_ip(request)}"
    if verdict := strictest("login", [address, f"{account}|{address}"]):
        return verdict
    if _known_device(request) == account:
        return None
    return strictest("login_account", (), gentle=[account])


def _account_key(typed):
    typed = (typed or "").strip()[:254]
    pk = User.objects.filter(Q(username__iexact=typed) | Q(email__iexact=typed)).values_list("pk", flat=True).first()
    return f"user:{pk}" if pk is not None else f"name:{typed.lower()}"


def _known_device(request):
    try:
        pk = signing.loads(request.COOKIES.get(DEVICE_COOKIE, ""), salt=DEVICE_SALT, max_age=DEVICE_MAX_AGE_S)
    except signing.BadSignature:
        return None
    return f"user:{pk}"


def remember_device(response, user):
    """After a log-in: this browser may try the account's password past the per-account ceiling."""
    response.set_cookie(DEVICE_COOKIE, signing.dumps(user.pk, salt=DEVICE_SALT), max_age=DEVICE_MAX_AGE_S,
                        secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax")
    return response


def check_mail(request, address, bucket="email"):
    """Count one mail-sending request: per address and user asking, and per ``address`` mailed (a
    ceiling that slows, so nobody can flood an inbox or keep its owner's mail from coming)."""
    idents = [f"ip:{client_ip(request)}"]
    if request.user.is_authenticated:
        idents.append(f"user:{request.user.pk}")
    return strictest(bucket, idents, gentle=[f"to:{(address or '').strip().lower()[:254]}"])


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
