"""``/papers/{id}`` asked for with ``Accept: text/markdown`` answers the Markdown that
``/papers/{id}.md`` serves (as huggingface.co does); a browser's ``*/*`` or no Accept gets the page."""

from django.utils.cache import patch_vary_headers

from .http import public_read
from .markdown import paper_markdown

# HTML first: a browser's "*/*" (or no Accept at all) gets the page.
PAGE_TYPES = ["text/html", "text/markdown"]
PAPER_PAGE = "papers:detail"


class PaperMarkdownMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if _is_paper_page(request):
            patch_vary_headers(response, ["Accept"])
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if _is_paper_page(request) and request.method in ("GET", "HEAD") and \
                request.get_preferred_type(PAGE_TYPES) == "text/markdown":
            return public_read(paper_markdown)(request, **view_kwargs)
        return None


def _is_paper_page(request):
    match = getattr(request, "resolver_match", None)
    return match is not None and match.view_name == PAPER_PAGE
