"""Whole-page caching for anonymous readers, invalidated precisely by versioned topics.

A page depends on a few topics ("day:2026-03-02", "paper:17", "org:4", …). It is stored with the
version of each it was made at, kept in the shared cache (``CACHES["shared"]``: one SQLite file on one
node, Redis or memcached through ``CACHE_URL`` for several). A write (vote, comment, submission, sync)
bumps the topics of the papers it touched, so exactly the pages showing them are made again; the rest
stay cached. Signed-in readers are never served from the cache: their pages
show their own votes, and so they never see a count older than their click.

Forms on cached pages keep working: the CSRF tokens in a stored page are replaced by a marker, and each
reader gets the page with a token of their own (and the cookie that goes with it).
"""

import functools
import hashlib
import re
import time

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.middleware.csrf import get_token

VERSION_PREFIX = "pv2:"
# Stored pages are bytes (see _to_stored); a new prefix whenever that format changes, so that a shared
# cache (Redis, memcached) never hands a new process a page in the old format.
PAGE_PREFIX = "page3:"
CSRF_MARKER = b"__dailypapers_csrf__"
_CSRF_VALUE = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")')
# Cookies that change what an anonymous page shows: each value gets its own stored copy.
VARY_COOKIES = ("hide_subscribe_prompt",)
# Headers that are part of a stored answer: the API's next-page link, and the dates api/http.py gives
# an answer before it is stored (so that a hit neither hashes the body nor asks when it changed).
KEPT_HEADERS = ("Link", "ETag", "Last-Modified", "Cache-Control")
# Any paper's page, count or list changed: lists no narrower topic describes (a category's papers, the
# latest papers across days, feed days) depend on it.
PAPERS = "papers"
# What a search can find changed (papers stored, hidden or edited, vectors written). Votes and comments
# leave it alone, so answers under it are kept SEARCH_CACHE_SECONDS at
# most: the bound on how old a count on a cached search can be.
SEARCH = "search"


def _shared():
    return caches["shared"]


def _pages():
    return caches["default"]


def bump(*topics):
    """Invalidate every page that depends on any of ``topics``."""
    if topics:
        # A new unique value rather than incr(): the file cache has no atomic increment, and any value
        # not seen before invalidates just the same.
        stamp = str(time.time_ns())
        _shared().set_many({_version_key(t): stamp for t in set(topics)}, timeout=None)


def paper_topics(arxiv_id, feed_day=None, org_slug=None, author_slugs=(), repeat_days=()):
    """The topics a change to one paper touches: its page, its days, weeks and months (the one it was
    featured on and any it was listed again on), org and author pages."""
    topics = [f"paper:{arxiv_id}", "orgs", PAPERS]
    for day in filter(None, (feed_day, *repeat_days)):
        year, week, _ = day.isocalendar()
        topics += [f"day:{day.isoformat()}", f"week:{year}-W{week:02d}", f"month:{day:%Y-%m}"]
    if org_slug:
        topics.append(f"org:{org_slug}")
    return topics + [f"author:{slug}" for slug in author_slugs]


# Past this many papers in one write (an import, a sync), invalidating everything is cheaper than
# naming every topic, and nearly everything changed anyway.
BULK_PAPERS = 50


def bump_papers(paper_ids, search=True):
    """Bump the topics of the papers with these primary keys, and SEARCH unless only their counts
    (votes, comments) changed."""
    from .models import FeedRepeat, Paper, PaperAuthor

    paper_ids = list(paper_ids)
    if len(paper_ids) > BULK_PAPERS:
        bump("all")
        return
    rows = Paper.objects.filter(pk__in=paper_ids).values_list("pk", "arxiv_id", "submission__feed_day",
                                                              "organization__slug")
    authors, repeats = {}, {}
    for paper_id, slug in PaperAuthor.objects.filter(paper_id__in=paper_ids).values_list("paper_id", "author__slug"):
        authors.setdefault(paper_id, []).append(slug)
    for paper_id, day in FeedRepeat.objects.filter(paper_id__in=paper_ids).values_list("paper_id", "feed_day"):
        repeats.setdefault(paper_id, []).append(day)
    topics = [SEARCH] if search else []
    for pk, arxiv_id, feed_day, org_slug in rows:
        topics += paper_topics(arxiv_id, feed_day, org_slug, authors.get(pk, ()), repeats.get(pk, ()))
    bump(*topics)


def remembered(name, topics, build):
    """``build()``, kept like a cached page: until one of ``topics`` is bumped or PAGE_CACHE_SECONDS pass.
    For the parts of pages that signed-in readers see too (a paper's discussion)."""
    key, versions, stored = _lookup(name, topics)
    if stored is not None:
        return stored["value"]
    value = build()
    _pages().set(key, {"versions": versions, "value": value}, settings.PAGE_CACHE_SECONDS)
    return value


def cache_page(topics_of):
    """Decorator for a GET view: ``topics_of(request, **kwargs)`` names what the page shows (None: a page
    not to cache, such as a search)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            topics = topics_of(request, **kwargs) if _cacheable(request) else None
            if topics is None:
                return view(request, *args, **kwargs)
            cookies = "".join(f"|cookie:{name}={request.COOKIES.get(name, '')[:8]}" for name in VARY_COOKIES)
            key, versions, stored = _lookup(request.get_full_path() + cookies, topics)
            if stored is not None:
                return _from_stored(request, stored)
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.cookies and not response.streaming:
                _pages().set(key, _to_stored(response, versions), _timeout(topics))
            return response

        return wrapper

    return decorator


def _timeout(topics):
    if SEARCH in topics:
        return min(settings.PAGE_CACHE_SECONDS, settings.SEARCH_CACHE_SECONDS)
    return settings.PAGE_CACHE_SECONDS


def _to_stored(response, versions=()):
    # The encoded body, not text: a hit then neither decodes it from the cache (pickle) nor encodes it
    # again for the response, ~80 kB each way on a day page. CSRF tokens are ASCII in any charset we use.
    if hasattr(response, "render") and not response.is_rendered:
        response.render()
    body = _CSRF_VALUE.sub(rb"\g<1>" + CSRF_MARKER + rb"\g<2>", response.content)
    headers = {name: response[name] for name in KEPT_HEADERS if name in response}
    return {"versions": versions, "body": body, "content_type": response["Content-Type"], "headers": headers}


def _from_stored(request, stored):
    body = stored["body"]
    if CSRF_MARKER in body:
        body = body.replace(CSRF_MARKER, get_token(request).encode())
    response = HttpResponse(body, content_type=stored["content_type"], headers=stored.get("headers"))
    response["X-Page-Cache"] = "hit"
    return response


def _cacheable(request):
    return settings.PAGE_CACHE_SECONDS > 0 and request.method in ("GET", "HEAD") and not request.user.is_authenticated


def _lookup(name, topics):
    """``(key, versions, stored)`` for what ``name`` shows under ``topics``: ``stored`` is None unless
    it was made when every topic had the version it has now.

    A page lives under one key per name, with the topic versions it was made at inside it, so that
    where pages share the cache that holds the versions (Redis) one ``get_many`` reads both; on one
    node the versions are one read of the shared cache and the page is in process memory."""
    topics = ["all", *topics]
    version_keys = [_version_key(t) for t in topics]
    key = PAGE_PREFIX + hashlib.sha256("|".join([name, *topics]).encode()).hexdigest()
    if _pages_with_versions():
        found = _shared().get_many([*version_keys, key])
        stored = found.get(key)
    else:
        found = _shared().get_many(version_keys)
        stored = _pages().get(key)
    versions = tuple(found.get(k, "0") for k in version_keys)
    if stored is not None and stored["versions"] != versions:
        stored = None
    return key, versions, stored


def _pages_with_versions():
    return settings.CACHES["default"] == settings.CACHES["shared"]


def _version_key(topic):
    # Hashed: topic names carry request input (a slug from a query string), and memcached refuses keys
    # with spaces, control characters or more than 250 bytes.
    return VERSION_PREFIX + hashlib.blake2b(topic.encode(), digest_size=16).hexdigest()
