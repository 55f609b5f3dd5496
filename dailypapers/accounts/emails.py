"""All email: one function per kind, each rendered from three templates under ``templates/emails/<kind>/``
(subject.txt, body.txt, body.html; every HTML body extends ``emails/_layout.html``).

Links are absolute on ``lib.siteurl`` (SITE_URL, never a request's Host). Every message has a text and
an HTML part, a Date and a Message-ID on the site's domain; mail a reader can stop carries
List-Unsubscribe with RFC 8058 one-click. Messages are built with Django's public mail API.
Digests are rendered by ``digests/render.py`` and assembled here (``digest_email``).
"""

import logging
import smtplib
import threading
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from dailypapers.lib import siteurl

from . import verification

log = logging.getLogger(__name__)


# -- the parts every email shares -------------------------------------------------------------------

def render(kind, context):
    """(subject, text, html) from the kind's three templates."""
    context = {"SITE_NAME": settings.SITE_NAME, "site_url": siteurl.site_url(), **context}
    # Header injection guard: a subject is one line whatever a title or the template's white space holds.
    subject = " ".join(render_to_string(f"emails/{kind}/subject.txt", context).split())
    return (subject, render_to_string(f"emails/{kind}/body.txt", context),
            render_to_string(f"emails/{kind}/body.html", context))


def message(subject, text, html, to, headers=None):
    """A text + HTML message to ``to``, with a Date (explicit +0000) and a Message-ID unless given."""
    headers = {"Date": format_datetime(timezone.now()), "Message-ID": new_message_id(), **(headers or {})}
    mail = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to], headers=headers)
    mail.attach_alternative(html, "text/html")
    return mail


def compose(kind, to, context, headers=None):
    return message(*render(kind, context), to, headers)


def mail_domain():
    return urlsplit(siteurl.site_url()).hostname or "localhost"


def new_message_id():
    # No idstring: a Message-ID that fits on its header line stays unfolded with common domains.
    return make_msgid(domain=mail_domain())


def unsubscribe_headers(one_click_url, mailto=None):
    """List-Unsubscribe (the https URL, and a mailto: if given) and RFC 8058's one-click POST."""
    links = ", ".join(f"<{link}>" for link in (one_click_url, mailto) if link)
    return {"List-Unsubscribe": links, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def link(url_name, *args):
    """The absolute URL of a named route."""
    return siteurl.absolute(reverse(url_name, args=args))


# -- accounts and community -------------------------------------------------------------------------

def send_verification(user, address):
    """Ask ``address`` to confirm it belongs to ``user`` (at sign-up, or when the email changes)."""
    url = link("accounts:verify_email", verification.email_token(user, address))
    hours = settings.EMAIL_VERIFY_MAX_AGE_S // 3600
    return compose("verify_email", address, {"user": user, "url": url, "hours": hours}).send()


def send_password_reset(user):
    url = link("accounts:password_reset_confirm", urlsafe_base64_encode(force_bytes(user.pk)),
               default_token_generator.make_token(user))
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    return compose("password_reset", user.email, {"user": user, "url": url, "hours": hours}).send()


def send_comment_notification(comment, recipient, reason):
    """Tell ``recipient`` about ``comment``; ``reason`` is a key of verification.UNSUBSCRIBABLE."""
    unsubscribe = link("accounts:unsubscribe", verification.unsubscribe_token(recipient, reason))
    context = {
        "user": recipient, "comment": comment, "paper": comment.paper, "reason": reason,
        "url": siteurl.absolute(comment.get_absolute_url()), "unsubscribe_url": unsubscribe,
        "settings_url": link("accounts:settings"),
    }
    return compose("comment", recipient.email, context, unsubscribe_headers(unsubscribe)).send()


def in_background(send, *args):
    """``send(*args)`` on a thread of its own, so the request neither waits for the mail server nor,
    by how long it takes, tells whether a mail was sent. Not a daemon thread: a worker shutting down
    finishes its mails first. ``EMAIL_IN_BACKGROUND = False`` (the tests) sends in the request."""
    if not settings.EMAIL_IN_BACKGROUND:
        return send(*args)
    threading.Thread(target=_send_logged, args=(send, *args), name="dailypapers-mail").start()
    return None


def _send_logged(send, *args):
    try:
        send(*args)
    except (smtplib.SMTPException, OSError):  # nobody is waiting for an answer: log it for the operator
        log.exception("could not send a %s mail", getattr(send, "__name__", "?"))


# -- digests ----------------------------------------------------------------------------------------

def confirmation_email(subscription):
    """Double opt-in: the link opens a page with a Confirm button (scanners that follow links confirm nothing)."""
    context = {"subscription": subscription, "confirm_url": link("digests:confirm", subscription.link_token("confirm"))}
    return compose("confirm", subscription.email, context)


def already_subscribed_email(subscription):
    """Sent instead of a confirmation when the address is already subscribed: the subscribe form answers
    the same either way, so it never tells a stranger who is subscribed."""
    context = {"subscription": subscription, "manage_url": link("digests:manage", subscription.link_token("manage"))}
    return compose("already_subscribed", subscription.email, context)


def digest_email(digest, rendered):
    """The email of an outbox row from its content (digests/render.py), which leaves the subscriber's
    address and links to fill in here."""
    subscription = digest.subscription
    unsubscribe = subscription.link_token("unsubscribe")
    text, html = rendered.fill({
        "email": subscription.email,
        "manage_url": link("digests:manage", subscription.link_token("manage")),
        "unsubscribe_url": link("digests:unsubscribe", unsubscribe),
    })
    mailbox = settings.DIGEST_UNSUBSCRIBE_MAILTO or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    mailto = f"mailto:{mailbox}?subject={quote(f'unsubscribe {unsubscribe}')}"
    headers = {
        "Message-ID": digest.message_id,
        "List-Id": f"{settings.SITE_NAME} digest <digest.{mail_domain()}>",
        **unsubscribe_headers(link("digests:one_click", unsubscribe), mailto),
    }
    return message(rendered.subject, text, html, subscription.email, headers)
