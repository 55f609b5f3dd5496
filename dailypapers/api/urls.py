"""``/api/…`` (included at the root by ``dailypapers/urls.py``, before the papers app) and
``/papers/<id>.md``, the Markdown of a paper page that ``huggingface_hub.HfApi.read_paper`` reads.
``/papers/<id>`` asked for with ``Accept: text/markdown`` is ``negotiation.py``'s."""

from functools import wraps

from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from dailypapers.papers import pagecache

from . import pages
from .api import api
from .errors import error_response
from .http import dated, public_read
from .markdown import paper_markdown


def _public(patterns):
    """Every route of the API — docs and schema included — goes through ``http.py``'s wrapper: the rate
    limit, CORS, conditional GET for reads; writes need a token besides (``v1_writes.py``). The answers
    ``pages.py`` names are page-cached inside it, dated before they are stored, so a cached answer is
    still counted and keeps its ETag and Last-Modified."""
    for pattern in patterns:
        callback = pattern.callback
        if topics_of := pages.TOPICS.get(str(pattern.pattern)):
            callback = pagecache.cache_page(topics_of)(dated(callback))
        pattern.callback = public_read(_shaped_405(callback), routed=True)
    return patterns


def _shaped_405(view):
    """Ninja answers a method it has no operation for in plain text; answer in the API's error shape."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code != 405 or response.get("Content-Type", "").startswith("application/json"):
            return response
        shaped = error_response(request, 405, "method_not_allowed", f"{request.method} is not allowed here")
        shaped["Allow"] = response["Allow"]
        return shaped

    return wrapper


@csrf_exempt  # answers every method with a 404 and changes nothing; a POST gets the API's 404 too
def unknown(request, rest=""):
    return error_response(request, 404, "not_found", f"no such endpoint: {request.path}")


_patterns, _app, _namespace = api.urls

urlpatterns = [
    path("api/", (_public(_patterns), _app, _namespace)),
    # Unknown paths under /api/ answer in the API's error shape, not with the site's HTML page. [\s\S]:
    # a path may hold an encoded newline (%0A), which "." does not match.
    re_path(r"^api/(?P<rest>[\s\S]*)$", public_read(unknown)),
    # Old-style ids have a slash (astro-ph/0601001.md).
    re_path(r"^papers/(?P<arxiv_id>.+)\.md$", public_read(paper_markdown), name="paper-markdown"),
]
