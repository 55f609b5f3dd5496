"""What every public read (API, feeds, Markdown) gets around its view: a rate limit, CORS, HEAD, and
conditional GET (ETag / Last-Modified with 304).

The ETag is a hash of the body, so it is right whatever the view read. Last-Modified is when this
URL's body last changed as far as the shared cache has seen: the first time a body with a new hash was
served. Nothing in the database can say that (an upvote does not touch ``Paper.updated_at``), and a
guess that is too old would make a client keep a stale copy after a 304.
"""

import hashlib
import time
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from dailypapers.lib import ratelimit

from .errors import error_response

READ_METHODS = ("GET", "HEAD")
EXPOSED_HEADERS = ", ".join([
    "ETag", "Last-Modified", "Link", "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset",
])
PREFLIGHT_MAX_AGE_S = 24 * 3600
# How long the cache remembers when a URL's body last changed; forgetting only costs a full response.
LAST_MODIFIED_MEMORY_S = 7 * 24 * 3600


def public_read(view, bucket="api"):
    """Wrap a view that anyone may read, from any origin, within the anonymous rate limit."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if _is_preflight(request):
            return _preflight()
        verdict = ratelimit.hit(bucket, ratelimit.client_ip(request), settings.API_RATE_LIMIT,
                                settings.API_RATE_WINDOW_S)
        response = _respond(view, request, args, kwargs) if verdict.allowed else _refused(request, verdict)
        for name, value in verdict.headers().items():
            response[name] = value
        if request.method in READ_METHODS:
            response["Access-Control-Allow-Origin"] = "*"
            response["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        return response

    return wrapper


def _refused(request, verdict):
    message = f"Too many requests: {verdict.limit} per {settings.API_RATE_WINDOW_S} s. Retry later."
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
    """ETag and Last-Modified on a successful read; 304 when the client's copy is current."""
    if request.method not in READ_METHODS or response.status_code != 200 or response.streaming:
        return response
    etag = f'"{hashlib.blake2b(response.content, digest_size=16).hexdigest()}"'
    since = _body_changed_at(request.get_full_path(), etag)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(since)
    # Always revalidate: with the ETag a current copy costs a 304, and no reader sees stale votes.
    response["Cache-Control"] = "no-cache"
    return get_conditional_response(request, etag=etag, last_modified=since, response=response)


def _body_changed_at(full_path, etag):
    # The shared cache, so that every web process dates a body alike.
    cache = caches["shared"]
    key = "lastmod:" + hashlib.blake2b(full_path.encode(), digest_size=16).hexdigest()
    seen = cache.get(key)
    if seen and seen[0] == etag:
        return seen[1]
    now = _now()
    cache.set(key, (etag, now), timeout=LAST_MODIFIED_MEMORY_S)
    return now


def _now():
    return int(time.time())


def _is_preflight(request):
    return request.method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in request.META


def _preflight():
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    response["Access-Control-Allow-Headers"] = "If-None-Match, If-Modified-Since"
    response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE_S)
    return response
