"""Digest content: each paper rendered once per run as a block, each distinct digest once with
stand-ins for what differs between subscribers (their address and links), filled in per message by
``accounts.emails.digest_email``. Most subscribers of a period get the same papers, so a run of
100,000 digests renders a few hundred bodies (docs/performance.md)."""

import re
from collections import OrderedDict

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.text import Truncator

from dailypapers.accounts import emails
from dailypapers.lib import siteurl
from dailypapers.papers.models import Paper

LEAD_CHARS = 220
AUTHORS_SHOWN = 3
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])")
# Stand-ins for what differs between subscribers of one digest (private-use characters).
MARKERS = {name: f"\ue000{name}\ue001" for name in ("email", "manage_url", "unsubscribe_url")}


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
            "url": siteurl.absolute(paper.get_absolute_url()),
            "byline": byline(paper),
            "lead": lead(paper.abstract),
        }
        self.title = paper.title
        self.html = render_to_string("emails/digest/_paper.html", context)
        self.text = render_to_string("emails/digest/_paper.txt", context).strip()


class Rendered:
    """A digest's subject, and its text and HTML with MARKERS where the subscriber's values go."""

    def __init__(self, subject, text, html):
        self.subject, self.text, self.html = subject, text, html

    def fill(self, personal):
        """(text, html) with ``personal`` values (keyed like MARKERS) in place; escaped in the HTML."""
        text, html = self.text, self.html
        for name, value in personal.items():
            text, html = text.replace(MARKERS[name], value), html.replace(MARKERS[name], escape(value))
        return text, html


class DigestRenderer:
    """Renders the digests of one run: each distinct content once, each paper once."""

    BODIES_KEPT = 256  # distinct contents kept (each ~40 KB); personal picks make most unique

    def __init__(self):
        self._blocks = {}
        self._bodies = OrderedDict()

    def message(self, digest):
        """The email for an outbox row, or None when every paper in it has since been hidden."""
        rendered = self.digest(digest)
        return None if rendered is None else emails.digest_email(digest, rendered)

    def digest(self, digest):
        """The Rendered digest, or None if nothing in it is left to show."""
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
            "feed_url": siteurl.absolute(reverse("papers:latest")),
        } | MARKERS
        return Rendered(*emails.render("digest", context))

    def blocks(self, paper_ids):
        """Blocks for the papers still visible, in the given order."""
        missing = [pk for pk in paper_ids if pk not in self._blocks]
        if missing:
            for paper in Paper.objects.visible().for_cards().filter(pk__in=missing):
                self._blocks[paper.pk] = Block(paper)
            for pk in missing:
                self._blocks.setdefault(pk, None)  # hidden or deleted since it was queued
        return [self._blocks[pk] for pk in paper_ids if self._blocks[pk] is not None]
