"""What every public read (API, feeds, Markdown) gets around its view: a rate limit, CORS, HEAD and
conditional GET (ETag / Last-Modified, 304); and what API writes get: the rate limit, CORS, a body cap.

The ETag hashes the body. Last-Modified is when the shared cache first saw this URL's current body:
the database cannot say (an upvote leaves ``Paper.updated_at`` alone), and too old a date would keep
stale copies alive. A live API token counts in its own bucket, anything else per address; under
``/api/v1/`` a bad token is a 401 (403 if its account is disabled), elsewhere it is ignored
(``huggingface_hub`` sends its ``hf_…`` token everywhere).
"""

import hashlib
import time
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, parse_http_date

from dailypapers.lib import ratelimit

from . import auth
from .errors import V1_PREFIX, ApiError, error_response, unauthorized

READ_METHODS = ("GET", "HEAD")
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")
EXPOSED_HEADERS = ", ".join([
    "ETag", "Last-Modified", "Link", "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset",
    "WWW-Authenticate",
])
READ_HEADERS = "If-None-Match, If-Modified-Since"
PREFLIGHT_MAX_AGE_S = 24 * 3600
# How long the cache remembers when a URL's body last changed; forgetting only costs a full response.
LAST_MODIFIED_MEMORY_S = 7 * 24 * 3600
# The largest JSON body a write takes: a comment at its 5,000-character limit written entirely as
# escaped surrogate pairs (12 bytes a character) is 60 kB. Larger bodies are refused unread.
MAX_BODY_BYTES = 128 * 1024


def public_read(view, bucket="api", routed=False):
    """Wrap a view that anyone may call, from any origin, within the rate limit.

    ``routed`` views are the NinjaAPI's: they answer a preflight with their own methods (the writes
    among them need ``Authorization`` and ``Content-Type``)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if _is_preflight(request):
            return _preflight(_route_methods(view, request, args, kwargs) if routed else READ_METHODS)
        found = auth.credential(request)
        verdict, window = _count(request, bucket, found)
        if not verdict.allowed:
            response = _refused(request, verdict, window)
        elif refusal := _refusal(request, found):
            response = error_response(request, refusal.status, refusal.code, refusal.message, refusal.headers)
        else:
            response = _respond(view, request, args, kwargs)
        # setdefault: a 429 of a per-action limit (votes, comments…) keeps that limit's headers.
        for name, value in verdict.headers().items():
            response.setdefault(name, value)
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        if request.path.startswith(V1_PREFIX):  # a token there can turn a 200 into a 401, or say what its user did
            patch_vary_headers(response, ("Authorization",))
        return response

    return wrapper


def _count(request, bucket, found):
    """Count the request in its token's bucket when it has a live token, else in its address's;
    ``(verdict, window in seconds)``."""
    if found is not None and found.user is not None:
        limit, window, bucket, ident = (settings.API_TOKEN_RATE_LIMIT, settings.API_TOKEN_RATE_WINDOW_S,
                                        f"{bucket}-token", found.ident)
    else:
        limit, window, ident = settings.API_RATE_LIMIT, settings.API_RATE_WINDOW_S, ratelimit.client_ip(request)
    return ratelimit.hit(bucket, ident, limit, window), window


def _refusal(request, found):
    """The ApiError that stops this request before its view runs, or None."""
    if request.method in BODY_METHODS and _content_length(request) > MAX_BODY_BYTES:
        return ApiError(413, "payload_too_large", f"The request body is over {MAX_BODY_BYTES} bytes.")
    if found is None or found.refusal is None or not request.path.startswith(V1_PREFIX):
        return None
    if found.refusal == "disabled":
        return auth.disabled()
    return unauthorized("The API token is not valid: it was revoked, or never issued here.", invalid_token=True)


def _content_length(request):
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _refused(request, verdict, window):
    message = f"Too many requests: {verdict.limit} per {window} s. Retry later."
    return error_response(request, 429, "rate_limited", message)


def _respond(view, request, args, kwargs):
    """Run the view; a HEAD is answered as the GET it stands for, without the body."""
    if request.method != "HEAD":
        return conditional(request, view(request, *args, **kwargs))
    request.method = "GET"
    try:
        response = conditional(request, view(request, *args, **kwargs))
    finally:
        request.method = "HEAD"
    if not response.streaming:
        length = len(response.content)
        response.content = b""
        response["Content-Length"] = str(length)
    return response


def conditional(request, response):
    """ETag and Last-Modified on a successful read (unless ``dated`` gave them); 304 when the client's
    copy is current."""
    if not _is_dated(request, response):
        return response
    if "ETag" not in response:
        _date(request, response)
    since = parse_http_date(response["Last-Modified"])
    return get_conditional_response(request, etag=response["ETag"], last_modified=since, response=response)


def dated(view):
    """Date a successful read inside the page cache (``pagecache.cache_page(dated(view))``): the stored
    answer keeps its ETag and Last-Modified, so a hit neither hashes the body nor asks when it changed."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if _is_dated(request, response):
            _date(request, response)
        return response

    return wrapper


def _is_dated(request, response):
    return request.method in READ_METHODS and response.status_code == 200 and not response.streaming


def _date(request, response):
    etag = f'"{hashlib.blake2b(response.content, digest_size=16).hexdigest()}"'
    response["ETag"] = etag
    response["Last-Modified"] = http_date(_body_changed_at(request.get_full_path(), etag))
    # Always revalidate: with the ETag a current copy costs a 304, and no reader sees stale votes.
    response["Cache-Control"] = "no-cache"


def _body_changed_at(full_path, etag):
    # The shared cache, so that every web process dates a body alike.
    cache = caches["shared"]
    key = "lastmod:" + hashlib.blake2b(full_path.encode(), digest_size=16).hexdigest()
    seen = cache.get(key)
    if seen and seen[0] == etag:
        return seen[1]
    now = int(time.time())
    cache.set(key, (etag, now), timeout=LAST_MODIFIED_MEMORY_S)
    return now


def _is_preflight(request):
    return request.method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in request.META


def _route_methods(view, request, args, kwargs):
    """The methods a NinjaAPI route answers: asked with OPTIONS, which none of its operations takes,
    ninja runs nothing and lists them in the 405's ``Allow``."""
    response = view(request, *args, **kwargs)
    if response.status_code != 405:
        return READ_METHODS
    return tuple(m.strip() for m in response.get("Allow", "").split(",") if m.strip()) or READ_METHODS


def _preflight(methods):
    writes = any(method in BODY_METHODS for method in methods)
    if "GET" in methods and "HEAD" not in methods:
        methods = (*methods, "HEAD")
    order = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = ", ".join([m for m in order if m in methods] + ["OPTIONS"])
    # A bearer token may ride on any request (reads count in its bucket); only writes send a body.
    headers = [READ_HEADERS, "Authorization"] + (["Content-Type"] if writes else [])
    response["Access-Control-Allow-Headers"] = ", ".join(headers)
    response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE_S)
    return response
