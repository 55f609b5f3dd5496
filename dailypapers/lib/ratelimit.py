"""Sliding-window rate limits over the shared cache (SQLite on one node, Redis or memcached on several):
one function, ``hit``, for every limit in the project, so they all count and answer the same way.

A window is cut into ``SLOTS`` counters; a request is judged by the sum of the slots the last
``window`` seconds touch. The oldest slot counts whole, so no stretch of ``window`` seconds lets more
than ``limit`` through (a fixed window lets twice the limit through across its boundary).
"""

import hashlib
import math
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches

SLOTS = 6
# What may go into a cache key as it is: memcached refuses spaces, control characters and keys over 250.
PLAIN_IDENT = re.compile(r"[A-Za-z0-9_.:@|+\-]{1,100}")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until a request would be allowed again (when refused), or until quota returns

    def headers(self):
        """IETF RateLimit headers (draft-ietf-httpapi-ratelimit-headers) plus Retry-After when refused."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.retry_after),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


def hit(bucket, ident, limit, window, count_refused=True):
    """Count one request of ``ident`` in ``bucket``; allowed while at most ``limit`` per ``window`` s.

    ``count_refused=False`` leaves a refused request uncounted: the limit then admits ``limit`` requests
    a window however hard it is pushed (it slows callers) instead of staying shut while they push."""
    now = time.time()
    span = window / SLOTS
    current = int(now // span)
    if not PLAIN_IDENT.fullmatch(ident):  # a typed name or address: any text, any length
        ident = "h:" + hashlib.sha256(ident.encode()).hexdigest()[:32]
    keys = [f"rl:{bucket}:{ident}:{window}:{slot}" for slot in range(current - SLOTS, current + 1)]
    # The shared cache: every web process must count against the same limit.
    cache = caches["shared"]
    if count_refused:
        counts = _count_in(cache, keys, window + span)
        allowed = sum(counts) <= limit
    else:
        found = cache.get_many(keys)
        counts = [found.get(key, 0) for key in keys]
        allowed = sum(counts) < limit  # two callers at once may both pass: a ceiling, not an exact count
        if allowed:
            counts[-1] = _increment(cache, keys[-1], window + span)
    total = sum(counts)
    wait = (_seconds_until_any(counts, current, span, now, window) if allowed
            else _seconds_until_allowed(counts, limit, current, span, now))
    return Verdict(allowed=allowed, limit=limit, remaining=max(0, limit - total), retry_after=wait)


def _count_in(cache, keys, timeout):
    """The counts of the window's slots with this request counted in the last: in one round trip where
    the cache offers ``count_window`` (lib/sqlitecache.py, lib/rediscache.py)."""
    if hasattr(cache, "count_window"):
        return cache.count_window(keys, math.ceil(timeout) + 1)
    found = cache.get_many(keys[:-1])
    return [found.get(key, 0) for key in keys[:-1]] + [_increment(cache, keys[-1], timeout)]


def _increment(cache, key, timeout):
    # add() is atomic where the backend is (memcached, Redis): the first request of a slot creates it.
    cache.add(key, 0, timeout=math.ceil(timeout) + 1)
    try:
        return cache.incr(key)
    except ValueError:  # evicted between add and incr: start the slot again
        cache.set(key, 1, timeout=math.ceil(timeout) + 1)
        return 1


def _seconds_until_allowed(counts, limit, current, span, now):
    """When enough of the oldest slots have left the window for one more request to fit."""
    left = sum(counts)
    for age, count in enumerate(counts):
        left -= count
        if left + 1 <= limit:
            slot = current - SLOTS + age
            return max(1, math.ceil((slot + SLOTS + 1) * span - now))
    return max(1, math.ceil((current + SLOTS + 1) * span - now))


def _seconds_until_any(counts, current, span, now, window):
    """When the oldest counted request leaves the window (and some quota comes back)."""
    for age, count in enumerate(counts):
        if count > 0:
            return max(1, math.ceil((current + age + 1) * span - now))
    return math.ceil(window)


def strictest(bucket, idents, gentle=()):
    """Count one request against each of ``idents`` in ``settings.RATE_LIMITS[bucket]``; return the
    refusing verdict that waits longest, or None when every counter allows it. Every counter is hit
    (no short-circuit), so a refused request still counts against each. ``gentle`` idents are then
    checked only if those allowed it, with refusals uncounted (see ``hit``)."""
    limit, window = settings.RATE_LIMITS[bucket]
    refused = [v for v in (hit(bucket, who, limit, window) for who in idents) if not v.allowed]
    for who in gentle if not refused else ():
        if not (verdict := hit(bucket, who, limit, window, count_refused=False)).allowed:
            refused.append(verdict)
            break
    return max(refused, key=lambda v: v.retry_after) if refused else None


def client_ip(request):
    """The client's address. ``serve``'s front puts it in REMOTE_ADDR, from X-Forwarded-For only when
    the peer is a proxy listed in FORWARDED_ALLOW_IPS, so no header from anyone else is believed."""
    return request.META.get("REMOTE_ADDR", "unknown")
