"""Which API answers are kept like the site's pages (papers/pagecache.py), under which topics.

An answer is kept until a write bumps one of its topics (a vote, a comment, a sync of its papers) or
PAGE_CACHE_SECONDS pass (SEARCH_CACHE_SECONDS for searches). Only answers that are the same for every
caller are kept, each under the narrowest topic every change to it bumps: a period's papers under the
period, an organization's or author's under theirs, other paper lists under ``pagecache.PAPERS``. A
request with credentials is never answered from the cache (``/api/v1`` reads with a token may say what
that user did). Public collections are not kept: their edits name no topic.
"""

from dailypapers.lib import arxiv_ids
from dailypapers.papers import pagecache

# Query parameter -> topic, for HF's daily papers and for /api/v1/papers.
HF_PERIODS = {"date": "day", "week": "week", "month": "month"}
V1_PERIODS = {"day": "day", "week": "week", "month": "month"}
V1_OWNERS = {"organization": "org", "author": "author"}  # /api/v1/papers filters with a topic of their own


def _anonymous(topics_of):
    def topics(request, **kwargs):
        return None if "HTTP_AUTHORIZATION" in request.META else topics_of(request, **kwargs)

    return topics


def _period(request, names):
    """``["week:2026-W05"]`` for one period asked for; ``[]`` for none; None for two (a 400)."""
    given = [f"{topic}:{request.GET[name]}" for name, topic in names.items() if request.GET.get(name)]
    return given if len(given) <= 1 else None


@_anonymous
def hf_daily_papers(request):
    given = _period(request, HF_PERIODS)
    return given if given != [] else [pagecache.PAPERS]  # no period: the latest papers, any vote moves them


@_anonymous
def v1_papers(request):
    given = _period(request, V1_PERIODS)
    if given:
        return given
    for name, topic in V1_OWNERS.items():
        if request.GET.get(name):
            return [f"{topic}:{request.GET[name]}"]
    return None if given is None else [pagecache.PAPERS]  # a category's, a submitter's, or every paper


@_anonymous
def paper(request, arxiv_id):
    try:
        return [f"paper:{arxiv_ids.normalize(arxiv_id)}"]
    except arxiv_ids.InvalidArxivId:
        return None


@_anonymous
def every_paper(request, **kwargs):
    return [pagecache.PAPERS]


@_anonymous
def organizations(request):
    return ["orgs"]


@_anonymous
def organization(request, slug):
    return [f"org:{slug}"]


@_anonymous
def author(request, slug):
    return [f"author:{slug}"]


@_anonymous
def search(request):
    return [pagecache.SEARCH]


# By the route's pattern, as ``api.urls`` lists it.
TOPICS = {
    "daily_papers": hf_daily_papers,
    "papers": every_paper,
    "papers/search": search,
    "papers/<path:arxiv_id>": paper,
    "v1/papers": v1_papers,
    "v1/papers/<path:arxiv_id>": paper,
    "v1/days": every_paper,
    "v1/organizations": organizations,
    "v1/organizations/<slug>": organization,
    "v1/authors/<slug>": author,
    "v1/search": search,
}
