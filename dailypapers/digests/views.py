"""Subscribe, confirm (double opt-in), unsubscribe (a confirm page, a form POST, and the RFC 8058
one-click POST) and manage. Every link in an email carries a signed token; a bad token gets the same
friendly page whatever is wrong with it. Nothing changes on GET: mail scanners follow links."""

import functools
import logging
import smtplib

from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from dailypapers.accounts import emails, limits
from dailypapers.lib.signed import BadLink

from .forms import ManageForm, SubscribeForm
from .models import Subscription

log = logging.getLogger(__name__)

# The one-line subscribe prompt at the top of feed pages stays hidden this long once dismissed.
HIDE_PROMPT_COOKIE = "hide_subscribe_prompt"
HIDE_PROMPT_MAX_AGE_S = 365 * 24 * 3600


def _limited(request, email):
    """A refusing rate-limit verdict for this client (address, and user when signed in) or this address
    mailed, else None. Counting the address too stops the form from being used to mail-bomb one inbox
    from many places."""
    return limits.check_mail(request, email, bucket="digest_subscribe")


@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request):
    form = SubscribeForm(request.POST if request.method == "POST" else None, initial=_initial(request))
    if not form.is_valid():
        return render(request, "digests/subscribe.html", {"form": form}, status=400 if form.is_bound else 200)
    if verdict := _limited(request, form.cleaned_data["email"]):
        return limits.too_many(request, verdict, "digest_subscribe")
    try:
        _request_subscription(request, form)
    except (smtplib.SMTPException, OSError):
        log.exception("could not send a subscription email")
        return render(request, "digests/send_failed.html", status=503)
    return redirect("digests:check_inbox")


def _initial(request):
    user = request.user
    return {"email": user.email} if user.is_authenticated and user.email else {}


def _request_subscription(request, form):
    """Mail a confirmation, or, to an address already subscribed, a manage link; the page answers
    the same either way, so the form never tells anyone who is subscribed."""
    now = timezone.now()
    subscription = Subscription.objects.for_address(form.cleaned_data["email"], request.user, now)
    if subscription.is_active:
        emails.already_subscribed_email(subscription).send()
        return
    form.apply_to(subscription, now)
    emails.confirmation_email(subscription).send()
    Subscription.objects.filter(pk=subscription.pk).update(confirmation_sent_at=now)


@require_safe
def check_inbox(request):
    return render(request, "digests/check_inbox.html")


def bad_link(request):
    return render(request, "digests/bad_link.html", status=400)


def from_link(purpose):
    """The view gets the subscription its ``purpose`` link names; any bad link gets one page that
    reveals nothing of why."""
    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, token):
            try:
                subscription = Subscription.objects.from_link(purpose, token)
            except BadLink:
                return bad_link(request)
            return view(request, subscription, token)
        return wrapper
    return decorator


@require_http_methods(["GET", "HEAD", "POST"])
@from_link("confirm")
def confirm(request, subscription, token):
    if request.method in ("GET", "HEAD"):
        return render(request, "digests/confirm.html", {"subscription": subscription})
    if not subscription.is_active:
        subscription.activate(timezone.now())
    return render(request, "digests/confirmed.html", _manage_context(request, subscription))


@require_http_methods(["GET", "HEAD", "POST"])
@from_link("unsubscribe")
def unsubscribe(request, subscription, token):
    if request.method in ("GET", "HEAD"):
        return render(request, "digests/unsubscribe.html", {"subscription": subscription})
    subscription.unsubscribe(timezone.now())
    return render(request, "digests/unsubscribed.html", _manage_context(request, subscription))


@csrf_exempt  # RFC 8058: mail clients POST here without a session; the signed token is the credential
@require_http_methods(["GET", "HEAD", "POST"])
def one_click(request, token):
    if request.method in ("GET", "HEAD"):  # a person who opened the header's link: the page with the button
        return redirect("digests:unsubscribe", token=token)
    try:
        subscription = Subscription.objects.from_link("unsubscribe", token)
    except BadLink:
        return HttpResponse("This unsubscribe link is not valid.\n", status=400, content_type="text/plain")
    subscription.unsubscribe(timezone.now())
    return HttpResponse("Unsubscribed.\n", content_type="text/plain")


@require_http_methods(["GET", "HEAD", "POST"])
@from_link("manage")
def manage(request, subscription, token):
    form = ManageForm.for_subscription(subscription, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if request.POST.get("action") == "resume":
            subscription.activate(timezone.now())
            return redirect("digests:manage", token=token)
        if form.is_valid():
            form.apply_to(subscription, timezone.now())
            return redirect(f"{request.path}?saved=1")
    context = _manage_context(request, subscription) | {"form": form, "saved": "saved" in request.GET,
                                                         "token": token}
    return render(request, "digests/manage.html", context, status=400 if form.errors else 200)


def _manage_context(request, subscription):
    return {
        "subscription": subscription,
        "manage_url": _path("manage", subscription),
        "unsubscribe_url": _path("unsubscribe", subscription),
    }


def _path(purpose, subscription):
    return reverse(f"digests:{purpose}", args=[subscription.link_token(purpose)])


@require_POST
def hide_prompt(request):
    """"Hide" on the subscribe prompt: a cookie, no script and nothing stored; back to the page."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("papers:home")
    response = HttpResponseRedirect(target)
    response.set_cookie(HIDE_PROMPT_COOKIE, "1", max_age=HIDE_PROMPT_MAX_AGE_S, samesite="Lax",
                        secure=request.is_secure(), httponly=True)
    return response
