"""Paper cards: read through the ORM (``rows`` and ``with_authors``, or ``load`` for a list of pks) and
rendered by one Jinja2 template, ``jinja2/papers/cards.html``, which loops over a whole list and holds
the parts the paper page shares (upvote button, organization badge, GitHub link, verified mark).

Jinja2 because a day page has up to 50 cards, which the Django template language renders several times
slower (docs/performance.md). Django templates reach it through the tags in ``paper_tags``.
Autoescaping is on; stored URLs become links only when http(s) (``web_url``); avatars show only as
the copies the site keeps (``lib/avatars.py``), never from their original address.
"""

import functools
from pathlib import Path
from typing import NamedTuple

from django.urls import get_script_prefix, reverse
from django.utils.safestring import mark_safe
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from dailypapers.lib import avatars
from dailypapers.lib.text import web_url

from .models import Paper, PaperAuthor

TEMPLATES = Path(__file__).with_name("jinja2")
# How many author names a card shows before "· N authors"; verified authors further down still show.
SHOWN_AUTHORS = 3
ABSTRACT_FOLD_CHARS = 300  # longer abstracts fold into a <details>


class CardAuthor(NamedTuple):
    name: str  # as this paper spells it
    slug: str
    verified: bool  # a user claimed this author entry


# What a card reads; anything else would cost a query per card (the JSON outputs load ``for_cards()``).
CARD_FIELDS = (
    "arxiv_id", "title", "abstract", "ai_summary", "published", "hf_upvotes", "local_upvotes", "hf_comments",
    "local_comments", "github_repo", "github_stars", "project_page",
    "organization__slug", "organization__name", "organization__avatar_url",
    "submission__paper", "submission__feed_day", "submission__submitter_name", "submission__submitter__username",
)


def rows(papers):
    """``papers`` (a queryset) reading only what a card shows, organization and submission included."""
    return papers.only(*CARD_FIELDS).select_related("organization", "submission", "submission__submitter")


def with_authors(papers):
    """``papers`` (read by ``rows``) as a list, each with ``author_count`` and, as ``card_authors``, the
    first SHOWN_AUTHORS authors and any verified one: one query for the whole list."""
    papers = list(papers)
    by_pk = {paper.pk: paper for paper in papers}
    for paper in papers:
        paper.card_authors, paper.author_count = [], 0
    # Plain rows, not model instances: a day page lists some 500 author links.
    links = (PaperAuthor.objects.filter(paper_id__in=list(by_pk)).order_by("paper_id", "position")
             .values_list("paper_id", "name", "author__slug", "author__user_id"))
    for paper_id, name, slug, user_id in links if by_pk else ():
        paper = by_pk[paper_id]
        if paper.author_count < SHOWN_AUTHORS or user_id is not None:
            paper.card_authors.append(CardAuthor(name, slug, user_id is not None))
        paper.author_count += 1
    return papers


def load(pks):
    """The visible papers among ``pks``, in the order of ``pks``, ready for cards (two queries)."""
    pks = list(dict.fromkeys(pks))
    by_pk = {paper.pk: paper for paper in rows(Paper.objects.visible().filter(pk__in=pks))} if pks else {}
    return with_authors(by_pk[pk] for pk in pks if pk in by_pk)


def _with_card_authors(paper):
    """A paper loaded otherwise (``for_cards``) gets what ``load`` gives, from its prefetched links."""
    if not hasattr(paper, "card_authors"):
        links = paper.ordered_authors
        paper.author_count = len(links)
        paper.card_authors = [CardAuthor(link.name, link.author.slug, link.author.user_id is not None)
                              for n, link in enumerate(links) if n < SHOWN_AUTHORS or link.author.user_id]
    return paper


@functools.lru_cache(maxsize=50_000)
def _reverse(prefix, name, arg):
    # Reversing walks the URL patterns (~20 µs) and a card has five or six links. The result depends only
    # on the name, the argument and the script prefix, which is part of the key.
    return reverse(name, args=[arg])


def url(name, arg, prefix):
    """``reverse(name, args=[arg])``, memoised; ``prefix`` is the script prefix, read once per render."""
    return _reverse(prefix, name, arg)


def compact(number):
    """1234 -> "1.2k", 1_500_000 -> "1.5M": star counts the way GitHub shows them."""
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if abs(number) >= size:
            scaled = number / size
            # One decimal below 100 (1.2k), none above (123k), and never a trailing ".0".
            text = f"{scaled:.1f}" if abs(scaled) < 100 else f"{scaled:.0f}"
            return text.removesuffix(".0") + suffix
    return str(number)


def _day(value):
    return f"{value:%b} {value.day}, {value.year}"  # as the Django filter date:"M j, Y"


@functools.cache
def _template():
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True,
                      undefined=StrictUndefined, auto_reload=False)
    env.filters.update(url=url, web_url=web_url, compact=compact, day=_day,  # filters: called directly
                       kept_avatar=avatars.local_url)
    env.globals.update(SHOWN_AUTHORS=SHOWN_AUTHORS, ABSTRACT_FOLD_CHARS=ABSTRACT_FOLD_CHARS)
    return env.get_template("papers/cards.html")


def _macros():
    """The template's macros (the paper page's parts), for this request's script prefix."""
    return _template().make_module({"papers": (), "prefix": get_script_prefix()})


def render(papers, *, voted=(), csrf_token="", next_url="", hits=None):
    """The cards of ``papers`` (with the search's highlights when ``hits`` are given, one per paper)."""
    papers = [_with_card_authors(paper) for paper in papers]
    html = _template().render(papers=papers, hits=hits, voted=voted, csrf_token=csrf_token or "",
                              next_url=next_url, prefix=get_script_prefix())
    return mark_safe(html)  # noqa: S308 - rendered with autoescaping


def upvote_form(paper, *, voted, csrf_token, next_url, box=False):
    """The upvote button; ``csrf_token`` as the template context has it (``NOTPROVIDED`` renders none)."""
    return mark_safe(_macros().upvote(paper, voted, csrf_token or "", next_url, box))  # noqa: S308


def org_badge(org):
    return mark_safe(_macros().org_badge(org))  # noqa: S308


def org_avatar(org, size):
    return mark_safe(_macros().org_avatar(org, size))  # noqa: S308


def github_link(paper):
    return mark_safe(_macros().github_link(paper))  # noqa: S308


def verified_mark():
    return mark_safe(_macros().verified_mark)  # noqa: S308


def comment_icon():
    return mark_safe(_macros().comment_icon)  # noqa: S308
