"""All email goes through this module: one function per kind of email, each rendered from three
templates under ``templates/emails/<kind>/`` (subject.txt, body.txt, body.html). The functions build
messages; callers send them (the digest sender over one reused SMTP connection).

Every message carries a Date and a Message-ID on the site's domain; Django encodes non-ASCII
subjects and names (RFC 2047) and bodies (UTF-8). HTML bodies are table layouts with inline styles
and no scripts or external CSS, which is what mainstream mail clients render; each has a plain-text
alternative.
"""

import functools
import re
from collections import OrderedDict
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.text import Truncator

from dailypapers.papers.models import Paper

from . import clock, tokens

LEAD_CHARS = 220
AUTHORS_SHOWN = 3
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])")
# Where links point when SITE_URL is unset and there is no request to ask (the digest worker):
# the address `dailypapers serve` binds by default. Production sets SITE_URL.
FALLBACK_SITE_URL = "http://127.0.0.1:8000"


def site_url(request=None):
    if settings.SITE_URL:
        return settings.SITE_URL
    return request.build_absolute_uri("/").rstrip("/") if request is not None else FALLBACK_SITE_URL


def absolute(path, site=None):
    return f"{site or site_url()}{path}"


def mail_domain():
    return urlsplit(site_url()).hostname or "localhost"


def new_message_id():
    # No idstring: a Message-ID that fits on its header line stays unfolded with common domains.
    return make_msgid(domain=mail_domain())


def link(purpose, subscription, site=None):
    """The absolute URL of a signed confirm / unsubscribe / manage link."""
    return absolute(token_path(f"digests:{purpose}", tokens.make(purpose, subscription)), site)


@functools.lru_cache(maxsize=16)
def _token_path_template(url_name):
    return reverse(url_name, args=["TOKEN"])


def token_path(url_name, token):
    """reverse(url_name, args=[token]), resolved once per name: a digest run asks 300,000 times."""
    return _token_path_template(url_name).replace("TOKEN", token)


def confirmation_email(subscription, site=None):
    """Double opt-in: the link opens a page with a Confirm button (scanners that follow links confirm nothing)."""
    context = {"subscription": subscription, "confirm_url": link(tokens.CONFIRM, subscription, site)}
    return _compose("confirm", context, subscription.email, site=site)


def already_subscribed_email(subscription, site=None):
    """Sent instead of a confirmation when the address is already subscribed: the subscribe form answers
    the same either way, so it never tells a stranger who is subscribed."""
    context = {"subscription": subscription, "manage_url": link(tokens.MANAGE, subscription, site)}
    return _compose("already_subscribed", context, subscription.email, site=site)


def digest_email(digest, renderer=None):
    """The digest for an outbox row, or None when every paper in it has since been hidden."""
    subscription = digest.subscription
    rendered = (renderer or DigestRenderer()).digest(digest)
    if rendered is None:
        return None
    personal = {
        MARKERS["email"]: subscription.email,
        MARKERS["manage_url"]: link(tokens.MANAGE, subscription),
        MARKERS["unsubscribe_url"]: link(tokens.UNSUBSCRIBE, subscription),
    }
    subject, text, html = rendered
    for marker, value in personal.items():
        text, html = text.replace(marker, value), html.replace(marker, escape(value))
    return _message(subject, text, html, subscription.email, _list_headers(subscription, digest.message_id))


def _list_headers(subscription, message_id):
    token = tokens.make(tokens.UNSUBSCRIBE, subscription)
    one_click = absolute(token_path("digests:one_click", token))
    mailbox = settings.DIGEST_UNSUBSCRIBE_MAILTO or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    mailto = f"mailto:{mailbox}?subject={quote(f'unsubscribe {token}')}"
    return {
        "Message-ID": message_id,
        "List-Id": f"{settings.SITE_NAME} digest <digest.{mail_domain()}>",
        "List-Unsubscribe": f"<{one_click}>, <{mailto}>",
        # RFC 8058: mail clients may POST "List-Unsubscribe=One-Click" to the https URL above.
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _compose(kind, context, to, headers=None, site=None):
    return _message(*_render(kind, context, site), to, headers)


def _render(kind, context, site=None):
    """(subject, text, html) from the kind's three templates."""
    context = {"SITE_NAME": settings.SITE_NAME, "site_url": site or site_url(), **context}
    # A subject is one line whatever the template's white space.
    subject = " ".join(render_to_string(f"emails/{kind}/subject.txt", context).split())
    return subject, render_to_string(f"emails/{kind}/body.txt", context), render_to_string(
        f"emails/{kind}/body.html", context
    )


def _message(subject, text, html, to, headers=None):
    # Date with an explicit +0000 (Django's default, -0000, means "zone unknown").
    headers = {"Date": format_datetime(clock.now()), "Message-ID": new_message_id(), **(headers or {})}
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to], headers=headers)
    message.attach_alternative(html, "text/html")
    return message


def lead(abstract):
    """The abstract's first sentence, cut to LEAD_CHARS: a one-line lead."""
    first = _SENTENCE_END.split((abstract or "").strip(), maxsplit=1)[0]
    return Truncator(first).chars(LEAD_CHARS)


def byline(paper):
    """Organization and the first authors, as the paper spells them."""
    names = [link.name for link in paper.ordered_authors]
    authors = ", ".join(names[:AUTHORS_SHOWN]) + (" et al." if len(names) > AUTHORS_SHOWN else "")
    return " · ".join(part for part in (paper.organization.name if paper.organization else "", authors) if part)


class Block:
    """One paper rendered for digests, HTML and text; the same for every subscriber."""

    def __init__(self, paper):
        context = {
            "paper": paper,
            "title": paper.title,
            "url": absolute(paper.get_absolute_url()),
            "byline": byline(paper),
            "lead": lead(paper.abstract),
        }
        self.title = paper.title
        self.html = render_to_string("emails/digest/_paper.html", context)
        self.text = render_to_string("emails/digest/_paper.txt", context).strip()


# Stand-ins for what differs between subscribers of one digest; filled in after rendering.
MARKERS = {name: f"\ue000{name}\ue001" for name in ("email", "manage_url", "unsubscribe_url")}


class DigestRenderer:
    """Renders digests for one run. Most subscribers of a period get the same papers, so a digest is
    rendered once per distinct content with stand-ins for the subscriber's address and links (filled
    in by digest_email), and each paper once for all the digests that list it."""

    BODIES_KEPT = 256  # distinct contents kept (each ~40 KB); personal picks make most unique

    def __init__(self):
        self._blocks = {}
        self._bodies = OrderedDict()

    def digest(self, digest):
        """(subject, text, html) with MARKERS for the personal parts, or None if nothing is left."""
        key = (tuple(digest.paper_ids), tuple(digest.pick_ids), digest.period_key, digest.first_day)
        if key not in self._bodies:
            self._bodies[key] = self._render(digest)
            if len(self._bodies) > self.BODIES_KEPT:
                self._bodies.popitem(last=False)
        return self._bodies[key]

    def _render(self, digest):
        top, picks = self.blocks(digest.paper_ids), self.blocks(digest.pick_ids)
        if not top and not picks:
            return None
        context = {
            "period": digest.period,
            "frequency": digest.period.frequency,
            "top": top,
            "picks": picks,
            "headline": (top or picks)[0].title,
            "more": len(top) + len(picks) - 1,
            "feed_url": absolute(reverse("papers:latest")),
        } | MARKERS
        return _render("digest", context)

    def blocks(self, paper_ids):
        """Blocks for the papers still visible, in the given order."""
        missing = [pk for pk in paper_ids if pk not in self._blocks]
        if missing:
            for paper in Paper.objects.visible().for_cards().filter(pk__in=missing):
                self._blocks[paper.pk] = Block(paper)
            for pk in missing:
                self._blocks.setdefault(pk, None)  # hidden or deleted since it was queued
        return [self._blocks[pk] for pk in paper_ids if self._blocks[pk] is not None]
