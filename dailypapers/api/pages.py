"""Which API answers are kept like the site's pages (papers/pagecache.py), under which topics.

An answer is kept until a write bumps one of its topics (a vote, a comment, a sync of its papers) or
PAGE_CACHE_SECONDS pass. Only answers that are the same for every caller and whose every paper a write
names are kept: one period's daily papers, one paper. A request with credentials is never answered
from the cache (``/api/v1`` reads with a token may say what that user did).
"""

from dailypapers.lib import arxiv_ids

PERIOD_TOPICS = {"date": "day", "week": "week", "month": "month"}  # the query names the topic names


def period_topics(request, **kwargs):
    if "HTTP_AUTHORIZATION" in request.META:
        return None
    given = [(topic, request.GET[name]) for name, topic in PERIOD_TOPICS.items() if request.GET.get(name)]
    if len(given) != 1:  # no period (the latest papers: any day's vote changes them) or a 400
        return None
    topic, key = given[0]
    return [f"{topic}:{key}"]


def paper_topics(request, arxiv_id):
    if "HTTP_AUTHORIZATION" in request.META:
        return None
    try:
        return [f"paper:{arxiv_ids.normalize(arxiv_id)}"]
    except arxiv_ids.InvalidArxivId:
        return None


# By the route's pattern, as ``api.urls`` lists it.
TOPICS = {
    "daily_papers": period_topics,
    "papers/<path:arxiv_id>": paper_topics,
    "v1/papers/<path:arxiv_id>": paper_topics,
}
