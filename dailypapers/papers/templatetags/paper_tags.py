"""Presentation helpers for paper pages: cards and their parts (see ``papers/cards.py``), weekends,
pagination links."""

from urllib.parse import urlencode

from django import template

from dailypapers.lib import avatars
from dailypapers.lib.text import web_url
from dailypapers.papers import cards, votes

register = template.Library()

# Query parameters a page link carries over; anything else in the URL is dropped.
KEPT_PARAMS = ("sort",)


@register.filter(name="web_url")
def web_url_filter(value):
    """A stored URL when it is http(s), else "" (see ``lib.text.web_url``): what may become an href."""
    return web_url(value)


@register.filter
def kept_avatar(url):
    """The site's own copy of an avatar (``lib/avatars.py``), or "" while it has none."""
    return avatars.local_url(url)


@register.filter
def is_weekend(value):
    """True for a Saturday or Sunday: arXiv announces nothing then, so empty days are expected."""
    return hasattr(value, "weekday") and value.weekday() >= 5


@register.simple_tag(takes_context=True)
def page_query(context, number):
    """``?sort=…&page=N`` for a pagination link, keeping the current sort (page 1 has no page=)."""
    params = {name: context[name] for name in KEPT_PARAMS if context.get(name)}
    if number != 1:
        params["page"] = number
    return f"?{urlencode(params)}" if params else "?"


@register.simple_tag
def elided_pages(page):
    """Page numbers around the current one, with ``…`` gaps, for long paginations."""
    return list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))


def _voted(context, papers):
    """The pks among ``papers`` the viewer upvoted. The first call on a page looks up every paper of the
    page (``papers`` in the context) at once, so a feed costs one query, not one a card."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return set()
    wanted = {paper.pk for paper in papers}
    cache = getattr(request, "_voted_ids", None)
    if cache is None or not wanted <= cache[0]:
        ids = wanted | {p.pk for p in (context.get("papers") or [])}
        cache = request._voted_ids = (ids, votes.voted_ids(user, ids))
    return cache[1] & wanted


def _render(context, papers, hits=None):
    next_url, csrf_token = _page_state(context)
    return cards.render(papers, voted=_voted(context, papers), csrf_token=csrf_token, next_url=next_url, hits=hits)


@register.simple_tag(takes_context=True)
def paper_cards(context, papers):
    """The cards of ``papers``, with upvote buttons for the reader of the page."""
    return _render(context, papers)


@register.simple_tag(takes_context=True)
def paper_card(context, paper):
    """One paper's card (lists render through ``paper_cards``)."""
    return _render(context, [paper])


@register.simple_tag(takes_context=True)
def search_hit_cards(context, hits):
    """Search results (``search.api.Hit``): paper cards with their highlights and why they matched."""
    return _render(context, [hit.paper for hit in hits], hits)


@register.simple_tag(takes_context=True)
def upvote_button(context, paper, box=False):
    """The upvote form for the reader of the page: the one markup of cards and the paper page."""
    next_url, csrf_token = _page_state(context)
    return cards.upvote_form(paper, voted=paper.pk in _voted(context, [paper]), csrf_token=csrf_token,
                             next_url=next_url, box=box)


def _page_state(context):
    """What every card of one page shares, read once per page."""
    state = context.render_context.get(_page_state)
    if state is None:
        request = context.get("request")
        next_url = request.get_full_path() if request else ""
        state = context.render_context[_page_state] = (next_url, context.get("csrf_token"))
    return state


@register.simple_tag
def verified_mark():
    """The mark after a verified author's name: the one markup of cards and the paper page."""
    return cards.verified_mark()


@register.simple_tag
def comment_icon():
    return cards.comment_icon()


@register.simple_tag
def org_badge(org):
    return cards.org_badge(org)


@register.simple_tag
def org_avatar(org, size):
    return cards.org_avatar(org, size)


@register.simple_tag
def github_link(paper):
    return cards.github_link(paper)
