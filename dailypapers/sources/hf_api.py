"""Hugging Face daily papers over HTTP: ``GET {base}/api/daily_papers?date=…&p=…&limit=…``.

Pages are followed through the ``Link: <…>; rel="next"`` header when the server sends one, else by
``p`` until a short page. Each page is parsed whole before any of it is used, and a body that does not
parse (a truncated transfer) is fetched again by the polite client.
"""

import json
import re

from django.conf import settings

from dailypapers.papers.records import RecordError

from . import hf
from .http import ParseError, PoliteClient

_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?', re.IGNORECASE)
MAX_PAGES = 200  # a day has well under 200 papers; this only stops a server that pages forever
PAGE_SIZE = 100  # HF's maximum for limit


class HfDailyPapers:
    def __init__(self, client=None, base_url=None):
        self.client = client or PoliteClient(min_interval=settings.HF_MIN_INTERVAL_S,
                                             timeout=settings.SOURCES_HTTP_TIMEOUT_S)
        self.base_url = (base_url or settings.HF_BASE_URL).rstrip("/")

    def day(self, day):
        """Every record of one feed day, page after page: yields lists (one per page) of records or
        ``(index, reason)`` problems for entries that could not be read."""
        params = {"date": day.isoformat(), "p": 0, "limit": PAGE_SIZE}
        url = f"{self.base_url}/api/daily_papers"
        for _ in range(MAX_PAGES):
            response, entries = self.client.fetch(url, parse_entries, params)
            yield [_record_or_problem(entry, day) for entry in entries]
            next_url = _next_link(response.headers)
            if next_url:
                url, params = next_url, None
            elif len(entries) >= params_limit(params):
                params = {**params, "p": params["p"] + 1}
            else:
                return


def params_limit(params):
    return params["limit"] if params else PAGE_SIZE


def parse_entries(body):
    try:
        return hf.entries_of(json.loads(body))
    except (ValueError, RecordError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ParseError(f"not a daily papers response: {exc}") from None


def _record_or_problem(entry, day):
    try:
        return hf.record_from_api_entry(entry, day)
    except (RecordError, KeyError, TypeError, AttributeError) as exc:
        return RecordError(str(exc) or type(exc).__name__)


def _next_link(headers):
    for name, value in headers.items():
        if name.lower() == "link":
            match = _NEXT.search(value)
            if match:
                return match.group(1)
    return None
