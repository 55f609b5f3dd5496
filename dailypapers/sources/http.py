"""A polite HTTP client for the metadata services we harvest (arXiv asks for one request every 3 s).

One request at a time per client, a minimum interval between requests to the same host, 429/503
answered with the server's Retry-After (else exponential backoff with jitter), a bounded number of
attempts, then ``RetriesExhausted``. The clock is injectable so tests never really sleep.

Share one client per service: the interval is tracked per client instance.
"""

import datetime as dt
import email.utils
import http.client
import logging
import random
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings

log = logging.getLogger(__name__)

ARXIV_MIN_INTERVAL = 3.0
# Statuses that say "try again later"; any other error status is final.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Transport failures worth another attempt: timeouts, resets, a body cut short.
TRANSIENT_ERRORS = (TimeoutError, socket.timeout, ConnectionError, http.client.IncompleteRead,
                    http.client.RemoteDisconnected, urllib.error.URLError)


class ParseError(ValueError):
    """A body that could not be parsed (often a truncated transfer): ``fetch_parsed`` refetches it."""


class HttpError(Exception):
    """Base class of this module's failures."""


class HttpStatusError(HttpError):
    """A final (non-retryable) error status. The body is kept: some APIs explain the error in it."""

    def __init__(self, url, status, body=b"", headers=None):
        super().__init__(f"HTTP {status} from {url}")
        self.url, self.status, self.body, self.headers = url, status, body, headers or {}


class RetriesExhausted(HttpError):
    def __init__(self, url, attempts, last_error):
        super().__init__(f"gave up on {url} after {attempts} attempts; last error: {last_error}")
        self.url, self.attempts, self.last_error = url, attempts, last_error


@dataclass
class Response:
    url: str
    status: int
    headers: dict
    body: bytes


class SystemClock:
    def monotonic(self):
        return time.monotonic()

    def sleep(self, seconds):
        time.sleep(seconds)

    def now(self):
        return dt.datetime.now(dt.UTC)


def user_agent(contact=None):
    contact = contact or getattr(settings, "SOURCES_CONTACT_EMAIL", "admin@localhost")
    return f"dailypapers/0.1 (+mailto:{contact})"


def parse_retry_after(value, now):
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None if unusable."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # HTTP dates are GMT; a naive result means the zone was "-0000".
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


class _Retry(Exception):
    """Internal: this attempt failed in a way worth retrying after ``delay`` (None = backoff)."""

    def __init__(self, reason, delay=None):
        super().__init__(reason)
        self.delay = delay


class PoliteClient:
    def __init__(self, *, min_interval=ARXIV_MIN_INTERVAL, timeout=60.0, max_attempts=5, backoff_base=5.0,
                 backoff_cap=300.0, jitter=0.25, max_retry_after=900.0, contact=None, clock=None, rng=None):
        self.min_interval = min_interval
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff_base, self.backoff_cap, self.jitter = backoff_base, backoff_cap, jitter
        # A Retry-After longer than this (say, a day) is not waited out silently: we give up instead.
        self.max_retry_after = max_retry_after
        self.user_agent = user_agent(contact)
        self.clock = clock or SystemClock()
        self.rng = rng or random.Random()
        self._lock = threading.Lock()
        self._not_before = {}  # host -> monotonic time of the earliest next request
        self._opener = urllib.request.build_opener()

    # -- public ------------------------------------------------------------------------------------
    def get(self, url, params=None):
        """GET with retries; return a Response with status 2xx or raise HttpStatusError/RetriesExhausted."""
        return self._run(_with_query(url, params), parse=None)[0]

    def fetch_parsed(self, url, parse, params=None):
        """GET and ``parse(body)``; a ParseError counts as a failed attempt and the URL is refetched."""
        return self.fetch(url, parse, params)[1]

    def fetch(self, url, parse, params=None):
        """Like ``fetch_parsed`` but returns ``(response, parsed)``, for callers that need headers."""
        return self._run(_with_query(url, params), parse=parse)

    # -- the retry loop ----------------------------------------------------------------------------
    def _run(self, url, parse):
        parts = urllib.parse.urlsplit(url)
        # Base URLs come from configuration: never let a typo turn into a file: read.
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"only http(s) URLs are fetched, not {url!r}")
        host = parts.netloc
        with self._lock:  # one connection at a time
            last_error = None
            for attempt in range(1, self.max_attempts + 1):
                self._wait_turn(host)
                try:
                    response = self._attempt(url, host)
                    return response, (parse(response.body) if parse else None)
                except ParseError as exc:
                    last_error = exc
                    delay = self._backoff(attempt)
                except _Retry as exc:
                    last_error = exc
                    delay = exc.delay if exc.delay is not None else self._backoff(attempt)
                log.info("attempt %d/%d for %s failed (%s); next in %.1f s", attempt, self.max_attempts,
                         url, last_error, delay)
                if attempt < self.max_attempts:
                    self._defer(host, delay)
            raise RetriesExhausted(url, self.max_attempts, last_error)

    def _attempt(self, url, host):
        # The scheme was checked in _run; identity encoding keeps Content-Length meaningful.
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent,  # noqa: S310
                                                       "Accept-Encoding": "identity"})
        try:
            with self._opener.open(request, timeout=self.timeout) as raw:
                return Response(url, raw.status, dict(raw.headers.items()), raw.read())
        except urllib.error.HTTPError as exc:
            self._on_status_error(url, exc)
        except TRANSIENT_ERRORS as exc:
            raise _Retry(f"{type(exc).__name__}: {exc}") from exc
        finally:
            self._defer(host, self.min_interval)

    def _on_status_error(self, url, exc):
        body = _read_quietly(exc)
        if exc.code not in RETRY_STATUSES:
            raise HttpStatusError(url, exc.code, body, dict(exc.headers.items())) from None
        wait = parse_retry_after(exc.headers.get("Retry-After"), self.clock.now())
        if wait is not None and wait > self.max_retry_after:
            raise HttpStatusError(url, exc.code, body, dict(exc.headers.items())) from None
        raise _Retry(f"HTTP {exc.code}", delay=wait)

    # -- timing --------------------------------------------------------------------------------------
    def _backoff(self, attempt):
        """Exponential: base, 2*base, 4*base... with up to ``jitter`` extra so clients spread out."""
        delay = self.backoff_base * 2 ** (attempt - 1)
        return min(self.backoff_cap, delay * (1 + self.jitter * self.rng.random()))

    def _defer(self, host, seconds):
        """Push the host's next allowed request to at least ``seconds`` from now (never earlier)."""
        at = self.clock.monotonic() + seconds
        self._not_before[host] = max(self._not_before.get(host, at), at)

    def _wait_turn(self, host):
        wait = self._not_before.get(host, 0.0) - self.clock.monotonic()
        if wait > 0:
            self.clock.sleep(wait)


def _with_query(url, params):
    if not params:
        return url
    query = urllib.parse.urlencode([(k, v) for k, v in params.items() if v is not None])
    return f"{url}{'&' if '?' in url else '?'}{query}"


def _read_quietly(response):
    try:
        return response.read()
    except (OSError, http.client.HTTPException):
        return b""
