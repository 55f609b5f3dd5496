"""arXiv API client (``/api/query``, Atom 1.0): id_list look-ups in batches and search_query paging.

Parsing looks elements up by name, never by position: the 2016 responses order them differently.
"""

import datetime as dt
from dataclasses import dataclass, field

from dailypapers.lib import arxiv_ids
from dailypapers.papers.records import PaperRecord

from .http import HttpStatusError, ParseError, PoliteClient
from .xml import XmlParseError, parse_xml, text_of

DEFAULT_BASE_URL = "https://export.arxiv.org/api/query"
SOURCE = "arxiv_api"
NS = {"atom": "http://www.w3.org/2005/Atom", "arxiv": "http://arxiv.org/schemas/atom",
      "opensearch": "http://a9.com/-/spec/opensearch/1.1/"}
# An error is reported as an entry whose id points at the API's error documentation.
_ERROR_ID_MARKER = "arxiv.org/api/errors"


class ArxivApiError(Exception):
    """The API refused the query; ``message`` is arXiv's own explanation (e.g. "incorrect id format")."""

    def __init__(self, message, status=None):
        super().__init__(f"arXiv API error{f' (HTTP {status})' if status else ''}: {message}")
        self.message, self.status = message, status


class EmptyPageError(ParseError):
    """A page with no entries although more were announced: a known API hiccup, worth a refetch."""


@dataclass
class ApiPage:
    records: list[PaperRecord]
    total_results: int | None
    start_index: int | None
    items_per_page: int | None
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # Entries in the response, parsed or not: what paging advances by.
    entry_count: int = 0


class ArxivApi:
    def __init__(self, client=None, base_url=DEFAULT_BASE_URL, batch_size=100, page_size=100):
        self.client = client or PoliteClient()
        self.base_url = base_url
        self.batch_size, self.page_size = batch_size, page_size

    def lookup(self, ids):
        """PaperRecords for arXiv ids (versioned or not), ``batch_size`` a request; unknown ids are absent."""
        ids = list(dict.fromkeys(ids))
        for first in range(0, len(ids), self.batch_size):
            batch = ids[first:first + self.batch_size]
            params = {"id_list": ",".join(batch), "start": 0, "max_results": len(batch)}
            yield from self._fetch(params).records

    def search_pages(self, query, *, start=0, max_results=None, sort_by=None, sort_order=None):
        """Iterate over result pages of a ``search_query`` until the results (or ``max_results``) run out."""
        fetched = 0
        while max_results is None or fetched < max_results:
            size = self.page_size if max_results is None else min(self.page_size, max_results - fetched)
            params = {"search_query": query, "start": start + fetched, "max_results": size,
                      "sortBy": sort_by, "sortOrder": sort_order}
            page = self._fetch(params, expect_entries=True)
            yield page
            fetched += page.entry_count
            total = page.total_results
            if not page.entry_count or (total is not None and start + fetched >= total):
                return

    def search(self, query, **kwargs):
        for page in self.search_pages(query, **kwargs):
            yield from page.records

    def _fetch(self, params, expect_entries=False):
        parse = _parse_expecting_entries if expect_entries else parse_feed
        try:
            return self.client.fetch_parsed(self.base_url, parse, params)
        except HttpStatusError as exc:
            raise _error_from_body(exc) from exc


def _error_from_body(exc):
    """arXiv answers a bad query with HTTP 400 and an Atom error entry; surface its message."""
    try:
        parse_feed(exc.body)
    except ArxivApiError as error:
        return ArxivApiError(error.message, status=exc.status)
    except ParseError:
        pass
    return ArxivApiError(f"HTTP {exc.status} without an error entry", status=exc.status)


def _parse_expecting_entries(body):
    page = parse_feed(body)
    beyond_end = page.total_results is not None and (page.start_index or 0) >= page.total_results
    if not page.entry_count and not beyond_end:
        raise EmptyPageError("no entries although the feed announces more results")
    return page


# -- parsing ---------------------------------------------------------------------------------------
def parse_feed(body):
    """Parse an API response into an ApiPage; raise ArxivApiError for an error entry."""
    root = parse_xml(body)
    if root.tag != f"{{{NS['atom']}}}feed":
        raise XmlParseError(f"not an Atom feed: <{root.tag}>")
    entries = root.findall("atom:entry", NS)
    for entry in entries:
        if _ERROR_ID_MARKER in text_of(entry, "atom:id", NS, ""):
            raise ArxivApiError(text_of(entry, "atom:summary", NS, "") or "unknown error")
    page = ApiPage(records=[], total_results=_opensearch_int(root, "totalResults"),
                   start_index=_opensearch_int(root, "startIndex"),
                   items_per_page=_opensearch_int(root, "itemsPerPage"), entry_count=len(entries))
    for entry in entries:
        _add_entry(page, entry)
    return page


def _opensearch_int(root, name):
    try:
        return int(text_of(root, f"opensearch:{name}", NS, ""))
    except ValueError:
        return None


def _add_entry(page, entry):
    raw_id = text_of(entry, "atom:id", NS, "")
    try:
        page.records.append(parse_entry(entry))
    except (arxiv_ids.InvalidArxivId, ValueError) as exc:
        page.skipped.append((raw_id, str(exc)))


def parse_entry(entry):
    """One Atom entry -> PaperRecord (versionless id + version from ``.../abs/<id>vN``)."""
    raw_id = text_of(entry, "atom:id", NS, "")
    arxiv_id, version = arxiv_ids.parse(raw_id)
    published = _date(text_of(entry, "atom:published", NS))
    updated = _date(text_of(entry, "atom:updated", NS))
    versions = [(1, published)] if published else []
    if version and version > 1:
        versions.append((version, updated))
    return PaperRecord(
        arxiv_id=arxiv_id, version=version, versions=versions, published=published, updated=updated,
        title=text_of(entry, "atom:title", NS, ""), abstract=text_of(entry, "atom:summary", NS, ""),
        authors=[n for a in entry.iterfind("atom:author", NS) if (n := text_of(a, "atom:name", NS, ""))],
        categories=_categories(entry),
        # Absent means arXiv has none, so "" (clears a stale value) rather than None (unknown).
        comment=text_of(entry, "arxiv:comment", NS, ""),
        journal_ref=text_of(entry, "arxiv:journal_ref", NS, ""),
        doi=text_of(entry, "arxiv:doi", NS, ""),
        source=SOURCE, origin=raw_id,
    )


def _categories(entry):
    primary = entry.find("arxiv:primary_category", NS)
    terms = [primary.get("term")] if primary is not None else []
    terms += [c.get("term") for c in entry.iterfind("atom:category", NS)]
    return list(dict.fromkeys(t for t in terms if t))


def _date(text):
    """The calendar date as written in the timestamp (arXiv writes UTC)."""
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        return None
