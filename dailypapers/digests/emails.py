"""All email goes through this module: one function per kind of email, each rendered from three
templates under ``templates/emails/<kind>/`` (subject.txt, body.txt, body.html). The functions build
messages; callers send them (the digest sender over one reused SMTP connection).

Every message carries a Date and a Message-ID on the site's domain; Django encodes non-ASCII
subjects and names (RFC 2047) and bodies (UTF-8). HTML bodies are table layouts with inline styles
and no scripts or external CSS, which is what mainstream mail clients render; each has a plain-text
alternative.

Digests also carry their bytes for the wire (``message.wire``, see ``WireTemplate``): Django's own
MIME serialization done once per distinct content, the subscriber's headers and links filled in per
message. Re-serializing the whole MIME tree and re-parsing both addresses for every one of 100,000
messages was most of the sender's CPU time (measured).
"""

import email.policy
import functools
import re
from collections import OrderedDict
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import forbid_multi_line_headers, sanitize_address
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import Truncator

from dailypapers.lib import siteurl
from dailypapers.papers.models import Paper

LEAD_CHARS = 220
AUTHORS_SHOWN = 3
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])")


def site_url(request=None):
    """The site's address for links in emails (``lib.siteurl``): SITE_URL, else the first name in
    ALLOWED_HOSTS; ``request`` is never read, so a forged Host header cannot reach an email."""
    return siteurl.site_url()


def fallback_site_url():
    """What links point at without SITE_URL: right for trying the site on this machine, wrong for
    anyone else, which is why send_digests will not mail digests over SMTP without SITE_URL."""
    return siteurl.site_url()


def absolute(path, site=None):
    return f"{site or site_url()}{path}"


def mail_domain():
    return _hostname(site_url())


@functools.lru_cache(maxsize=16)
def _hostname(url):
    return urlsplit(url).hostname or "localhost"


@functools.lru_cache(maxsize=16)
def _mailbox(unsubscribe_mailto, from_email):
    """The mailbox of List-Unsubscribe's mailto: (parsed once, not once per digest)."""
    return unsubscribe_mailto or parseaddr(from_email)[1]


def new_message_id():
    # No idstring: a Message-ID that fits on its header line stays unfolded with common domains.
    return make_msgid(domain=mail_domain())


def link(purpose, subscription, site=None):
    """The absolute URL of a signed confirm / unsubscribe / manage link."""
    return absolute(token_path(f"digests:{purpose}", subscription.link_token(purpose)), site)


@functools.lru_cache(maxsize=16)
def _token_path_template(url_name):
    return reverse(url_name, args=["TOKEN"])


def token_path(url_name, token):
    """reverse(url_name, args=[token]), resolved once per name: a digest run asks 300,000 times."""
    return _token_path_template(url_name).replace("TOKEN", token)


def confirmation_email(subscription, site=None):
    """Double opt-in: the link opens a page with a Confirm button (scanners that follow links confirm nothing)."""
    context = {"subscription": subscription, "confirm_url": link("confirm", subscription, site)}
    return _compose("confirm", context, subscription.email, site=site)


def already_subscribed_email(subscription, site=None):
    """Sent instead of a confirmation when the address is already subscribed: the subscribe form answers
    the same either way, so it never tells a stranger who is subscribed."""
    context = {"subscription": subscription, "manage_url": link("manage", subscription, site)}
    return _compose("already_subscribed", context, subscription.email, site=site)


def digest_email(digest, renderer=None):
    """The digest for an outbox row, or None when every paper in it has since been hidden."""
    subscription = digest.subscription
    rendered = (renderer or DigestRenderer()).digest(digest)
    if rendered is None:
        return None
    unsubscribe_token = subscription.link_token("unsubscribe")
    personal = {
        "email": subscription.email,
        "manage_url": link("manage", subscription),
        "unsubscribe_url": absolute(token_path("digests:unsubscribe", unsubscribe_token)),
    }
    text, html = rendered.text, rendered.html
    for name, value in personal.items():
        text, html = text.replace(MARKERS[name], value), html.replace(MARKERS[name], escape(value))
    headers = {"Date": format_datetime(timezone.now()), **_list_headers(unsubscribe_token, digest.message_id)}
    message = _message(rendered.subject, text, html, subscription.email, headers)
    message.wire = Wire(rendered.wire, headers, personal, subscription.email)
    return message


def _list_headers(unsubscribe_token, message_id):
    one_click = absolute(token_path("digests:one_click", unsubscribe_token))
    mailbox = _mailbox(settings.DIGEST_UNSUBSCRIBE_MAILTO, settings.DEFAULT_FROM_EMAIL)
    mailto = f"mailto:{mailbox}?subject={quote(f'unsubscribe {unsubscribe_token}')}"
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
    headers = headers or {}
    # Date with an explicit +0000 (Django's default, -0000, means "zone unknown").
    headers = {"Date": headers.get("Date") or format_datetime(timezone.now()),
               "Message-ID": headers.get("Message-ID") or new_message_id(), **headers}
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


# Stand-ins for what differs between subscribers of one digest; filled in after rendering. On the
# wire the HTML part carries its own (its values are escaped, the text part's are not).
MARKERS = {name: f"\ue000{name}\ue001" for name in ("email", "manage_url", "unsubscribe_url")}
HTML_MARKERS = {name: f"\ue002{name}\ue003" for name in MARKERS}


class Rendered:
    """A digest's subject, text and HTML with MARKERS, and its wire template (built on first use)."""

    def __init__(self, subject, text, html):
        self.subject, self.text, self.html = subject, text, html

    @functools.cached_property
    def wire(self):
        return WireTemplate(self.subject, self.text, self.html)


# Django's message() serialized as SMTP wants it (compat32 is the policy of its MIME classes).
WIRE_POLICY = email.policy.compat32.clone(linesep="\r\n")
LINE_LIMIT = 998  # bytes, RFC 5322 2.1.1
PERSONAL_HEADERS = ("To", "Date", "Message-ID", "List-Unsubscribe")
# A dot-atom address in ASCII: what sanitize_address would give back unchanged.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


class WireTemplate:
    """One digest content as SMTP bytes with holes: the headers and body parts exactly as Django's
    ``message().as_bytes()`` writes them, serialized once; ``fill`` folds the personal headers and
    replaces the stand-ins per subscriber. Only for bodies sent as 8bit (the usual case): a body
    Django would quoted-printable-encode (a line over 998 bytes) has its stand-ins encoded too, and
    such digests take the ordinary path (``fill`` answers None)."""

    def __init__(self, subject, text, html):
        for name, marker in HTML_MARKERS.items():
            html = html.replace(MARKERS[name], marker)
        message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, headers={
            "Date": "-", "Message-ID": "-", **_list_headers("-", "-")})
        message.attach_alternative(html, "text/html")
        mime = message.message()
        raw = mime.as_bytes(linesep="\r\n")  # what Django's SMTP backend sends; chooses the boundary
        self.boundary = mime.get_boundary().encode()
        self.body = raw.split(b"\r\n\r\n", 1)[1]
        self.head = self._head(mime)
        self.markers = [(name, marker.encode(), False) for name, marker in MARKERS.items()] + [
            (name, marker.encode(), True) for name, marker in HTML_MARKERS.items()]
        encodings = {part["Content-Transfer-Encoding"] for part in mime.get_payload()}
        self.usable = encodings <= {"7bit", "8bit"}
        # The lines that grow when the stand-ins are replaced: (length, stand-ins on it).
        self.growing = [(len(line), sum(line.count(marker) for _, marker, _ in self.markers))
                        for line in self.body.split(b"\r\n") if b"\xee\x80" in line]

    @staticmethod
    def _head(mime):
        """Folded constant headers, and the names of the personal ones in Django's order."""
        head = []
        for name, value in mime.raw_items():
            head.append(name if name in PERSONAL_HEADERS else WIRE_POLICY.fold_binary(name, value))
            if name == "From":
                head.append("To")
        return head

    def fill(self, headers, personal):
        """The message's bytes, or None when this subscriber's values do not fit the template."""
        values = {name: value.encode() for name, value in personal.items()}
        escaped = {name: escape(value).encode() for name, value in personal.items()}
        longest = max(len(value) for value in [*values.values(), *escaped.values()])
        if not self.usable or any(length + count * longest > LINE_LIMIT for length, count in self.growing) or any(
                self.boundary in value for value in values.values()):
            return None
        body = self.body
        for name, marker, html in self.markers:
            body = body.replace(marker, escaped[name] if html else values[name])
        head = b"".join(part if isinstance(part, bytes) else _fold(part, headers[part]) for part in self.head)
        return head + b"\r\n" + body


def _fold(name, value):
    """A header as Django's message would write it. Short ASCII values (the Date, the Message-ID, most
    addresses) come out of the standard library's folding unchanged, so they skip it."""
    name, value = forbid_multi_line_headers(name, value, "utf-8")
    if len(name) + 2 + len(value) <= WIRE_POLICY.max_line_length and value.isascii():
        return f"{name}: {value}\r\n".encode()
    return WIRE_POLICY.fold_binary(name, value)


class Wire:
    """A digest ready for ``smtplib``: envelope sender, recipient and the message's bytes (built on
    first use; None when only Django's own serialization can write this one)."""

    def __init__(self, template, headers, personal, to):
        self.template, self.headers, self.personal = template, {**headers, "To": to}, personal
        self.sender, self.recipient = envelope_address(settings.DEFAULT_FROM_EMAIL), envelope_address(to)

    @functools.cached_property
    def data(self):
        return self.template.fill(self.headers, self.personal)


@functools.lru_cache(maxsize=16)
def _sanitized(address):
    return sanitize_address(address, "utf-8")


def envelope_address(address):
    """What Django's SMTP backend passes to smtplib for ``address``: plain ASCII addresses as they
    are, anything else (names, non-ASCII) through Django's sanitize_address."""
    return address if _PLAIN_ADDRESS.fullmatch(address) else _sanitized(address)


class DigestRenderer:
    """Renders digests for one run. Most subscribers of a period get the same papers, so a digest is
    rendered once per distinct content with stand-ins for the subscriber's address and links (filled
    in by digest_email), and each paper once for all the digests that list it."""

    BODIES_KEPT = 256  # distinct contents kept (each ~40 KB); personal picks make most unique

    def __init__(self):
        self._blocks = {}
        self._bodies = OrderedDict()

    def digest(self, digest):
        """The Rendered digest with MARKERS for the personal parts, or None if nothing is left."""
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
        return Rendered(*_render("digest", context))

    def blocks(self, paper_ids):
        """Blocks for the papers still visible, in the given order."""
        missing = [pk for pk in paper_ids if pk not in self._blocks]
        if missing:
            for paper in Paper.objects.visible().for_cards().filter(pk__in=missing):
                self._blocks[paper.pk] = Block(paper)
            for pk in missing:
                self._blocks.setdefault(pk, None)  # hidden or deleted since it was queued
        return [self._blocks[pk] for pk in paper_ids if self._blocks[pk] is not None]
