"""``/papers?q=…`` (handed over by the feed view) and ``/search``: the search results page."""

import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from dailypapers.lib import arxiv_ids
from dailypapers.papers import pagecache
from dailypapers.papers import views as papers_views

from . import progress
from .api import SORTS, Filters, search

SORT_LABELS = {"relevance": "Relevance", "newest": "Newest", "upvotes": "Most upvoted"}
# Query parameters that define a search; page links and sort links carry them.
SEARCH_PARAMS = ("q", "sort", "from", "to", "date", "cat", "org", "code")


def filters_from(params):
    """Filters from GET parameters; junk values are ignored, never an error."""
    return Filters(
        date_from=_date(params.get("from")), date_to=_date(params.get("to")),
        date_field="featured" if params.get("date") == "featured" else "published",
        category=params.get("cat", "").strip()[:40], organization=params.get("org", "").strip()[:200],
        has_code=params.get("code") in ("1", "on", "true"),
    )


def _date(text):
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def feed_or_search(request):
    """``/`` and ``/papers``: the search page for a query (as on huggingface.co), else the papers' feed."""
    if request.GET.get("q", "").strip():
        return search_page(request)
    return papers_views.latest(request)


@pagecache.cache_page(lambda request: [pagecache.SEARCH])
@require_safe
def search_page(request):
    query = request.GET.get("q", "").strip()
    if arxiv_ids.is_arxiv_id(query):
        # The paper page shows it, or explains it is not here yet with its arXiv link.
        return redirect("papers:detail", arxiv_id=arxiv_ids.normalize(query))
    sort = request.GET.get("sort", "relevance")
    sort = sort if sort in SORTS else "relevance"
    filters = filters_from(request.GET)
    size = settings.SEARCH_PAGE_SIZE
    number = _page_number(request.GET.get("page"))
    results = search(query, filters=filters, sort=sort, offset=(number - 1) * size, limit=size)
    page = Paginator(range(results.reachable), size).get_page(number)
    if page.number != number:  # asked past the end: show the last page instead
        results = search(query, filters=filters, sort=sort, offset=(page.number - 1) * size, limit=size)
    return render(request, "search/results.html", _context(request, query, results, page, filters))


def _page_number(text):
    try:
        return max(1, int(text))
    except (TypeError, ValueError):
        return 1


def _context(request, query, results, page, filters):
    params = {name: request.GET[name] for name in SEARCH_PARAMS if request.GET.get(name)}
    return {
        "query": query,
        "results": results,
        "hits": results.hits,
        "papers": [hit.paper for hit in results.hits],  # the upvote buttons look the reader's votes up at once
        "page": page,
        "filters": filters,
        "sort": results.sort,
        "sort_links": [(key, label, _url(params, sort=key)) for key, label in SORT_LABELS.items()],
        "page_links": _page_links(page, params),
        "capped": results.reachable < results.total,
        "meaning_progress": _meaning_progress(query),
    }


def _meaning_progress(query):
    """While papers wait for their vectors (a large import), how far along that is; else None."""
    measured = progress.current() if query else None
    return None if measured is None or measured.complete else measured


def _url(params, **changes):
    merged = {k: v for k, v in {**params, **changes}.items() if v not in (None, "")}
    if merged.get("page") == 1:
        del merged["page"]  # page 1 has one URL
    return f"?{urlencode(merged)}"


def _page_links(page, params):
    if not page.has_other_pages():
        return None
    numbers = page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return {
        "prev": _url(params, page=page.number - 1) if page.has_previous() else None,
        "next": _url(params, page=page.number + 1) if page.has_next() else None,
        "numbers": [(n, None if n == page.paginator.ELLIPSIS else _url(params, page=n)) for n in numbers],
    }
