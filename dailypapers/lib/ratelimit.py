"""Fixed-window rate limits over Django's cache (local memory by default, Redis/memcached when shared).

    verdict = hit("login", client_ip(request), limit=10, window=60)
    if not verdict.allowed: answer 429 with Retry-After: verdict.retry_after

One function for every limit in the project (log-in, sign-up, votes, API buckets), so they all count
the same way and all answer with the same headers.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window resets

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


def hit(bucket, ident, limit, window, now=None):
    """Count one request of ``ident`` in ``bucket``; allowed while at most ``limit`` per ``window`` s."""
    now = time.time() if now is None else now
    window_start = int(now // window) * window
    key = f"rl:{bucket}:{ident}:{window_start}"
    # The shared cache: every web process must count against the same limit.
    cache = caches["shared"]
    # add() is atomic where the backend is (memcached, Redis): the first request of a window creates it.
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr: start the window again
        cache.set(key, 1, timeout=window + 1)
        count = 1
    retry_after = max(1, int(window_start + window - now))
    return Verdict(allowed=count <= limit, limit=limit, remaining=max(0, limit - count), retry_after=retry_after)


def strictest(bucket, idents):
    """Count one request against each of ``idents`` in ``settings.RATE_LIMITS[bucket]``; return the
    refusing verdict that waits longest, or None when every counter allows it. Every counter is hit
    (no short-circuit), so a refused request still counts against each."""
    limit, window = settings.RATE_LIMITS[bucket]
    refused = [v for v in (hit(bucket, who, limit, window) for who in idents) if not v.allowed]
    return max(refused, key=lambda v: v.retry_after) if refused else None


def client_ip(request):
    """The client's address. Behind a proxy, set it in REMOTE_ADDR at the proxy layer (gunicorn's
    --forwarded-allow-ips) rather than trusting X-Forwarded-For from anyone."""
    return request.META.get("REMOTE_ADDR", "unknown")
