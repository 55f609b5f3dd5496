"""All account and community email, one function per kind, three templates each under
``templates/accounts/email/``: ``<kind>_subject.txt``, ``<kind>.txt`` and ``<kind>.html``.

Links in emails are absolute, on ``lib.siteurl.site_url()``: ``SITE_URL`` when set, else the first
name in ``ALLOWED_HOSTS``, never the Host header of the request that caused the email.
"""

import logging
import smtplib
import threading

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from dailypapers.lib import siteurl

from . import verification


def base_url(request=None):
    """The site's address; ``request`` is accepted for callers' sake and never read (see above)."""
    return siteurl.site_url()


def _send(kind, to, context, headers=None):
    context = {"SITE_NAME": settings.SITE_NAME, **context}
    # Header injection guard: a subject is one line whatever a title contains.
    subject = " ".join(render_to_string(f"accounts/email/{kind}_subject.txt", context).split())
    text = render_to_string(f"accounts/email/{kind}.txt", context)
    html = render_to_string(f"accounts/email/{kind}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to], headers=headers or {})
    message.attach_alternative(html, "text/html")
    return message.send()


def send_verification(user, address, site):
    """Ask ``address`` to confirm it belongs to ``user`` (at sign-up, or when the email changes)."""
    token = verification.email_token(user, address)
    url = site + reverse("accounts:verify_email", args=[token])
    hours = settings.EMAIL_VERIFY_MAX_AGE_S // 3600
    return _send("verify_email", address, {"user": user, "url": url, "hours": hours})


def send_password_reset(user, site):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    url = site + reverse("accounts:password_reset_confirm", args=[uid, token])
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    return _send("password_reset", user.email, {"user": user, "url": url, "hours": hours})


def send_comment_notification(comment, recipient, reason, site):
    """Tell ``recipient`` about ``comment``; ``reason`` is a key of verification.UNSUBSCRIBABLE."""
    unsubscribe = site + reverse("accounts:unsubscribe", args=[verification.unsubscribe_token(recipient, reason)])
    context = {
        "user": recipient, "comment": comment, "paper": comment.paper, "reason": reason,
        "url": site + comment.get_absolute_url(), "unsubscribe_url": unsubscribe,
        "settings_url": site + reverse("accounts:settings"),
    }
    headers = {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return _send("comment", recipient.email, context, headers)


log = logging.getLogger(__name__)


def in_background(send, *args):
    """``send(*args)`` on a thread of its own, so the request neither waits for the mail server nor,
    by how long it takes, tells whether a mail was sent. Not a daemon thread: a worker shutting down
    finishes its mails first. ``EMAIL_IN_BACKGROUND = False`` (the tests) sends in the request."""
    if not getattr(settings, "EMAIL_IN_BACKGROUND", True):
        return send(*args)
    threading.Thread(target=_send_logged, args=(send, *args), name="dailypapers-mail").start()
    return None


def _send_logged(send, *args):
    try:
        send(*args)
    except (smtplib.SMTPException, OSError):  # nobody is waiting for an answer: log it for the operator
        log.exception("could not send a %s mail", getattr(send, "__name__", "?"))
