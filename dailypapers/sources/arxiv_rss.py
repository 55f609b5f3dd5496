"""arXiv daily announcement feeds (rss.arxiv.org style), RSS 2.0 and Atom.

Each item becomes an ``Announcement(announce_type, record, announced)``. The record carries the
announced version (a ``replace`` item carries the new one) but no published/updated dates: the feed
only knows the announcement day, while ``Paper.published`` holds v1's submission date from the API,
OAI and Hugging Face; mixing the two would make the stored date flip between sources. The day is
kept on the Announcement instead.
"""

import datetime as dt
import email.utils
import re
from typing import NamedTuple

from dailypapers.lib import arxiv_ids
from dailypapers.papers.records import PaperRecord

from .arxiv_oai import split_authors
from .http import PoliteClient
from .xml import XmlParseError, local_name, parse_xml, text_of

DEFAULT_BASE_URL = "https://rss.arxiv.org"
SOURCE = "arxiv_rss"
ANNOUNCE_TYPES = ("new", "cross", "replace", "replace-cross")
NS = {"atom": "http://www.w3.org/2005/Atom", "arxiv": "http://arxiv.org/schemas/atom",
      "dc": "http://purl.org/dc/elements/1.1/"}
# "arXiv:2203.01250v3 Announce Type: replace-cross \nAbstract: ..."
_DESCRIPTION = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?(?P<abstract>.*)$",
    re.DOTALL,
)


class Announcement(NamedTuple):
    announce_type: str
    record: PaperRecord
    announced: dt.date | None = None


class ArxivRss:
    def __init__(self, client=None, base_url=DEFAULT_BASE_URL, flavour="rss"):
        if flavour not in ("rss", "atom"):
            raise ValueError(f"flavour must be 'rss' or 'atom', not {flavour!r}")
        self.client = client or PoliteClient()
        self.base_url, self.flavour = base_url.rstrip("/"), flavour

    def fetch(self, categories):
        """Today's announcements for categories like ["cs.CL", "cs.AI"], one entry per paper."""
        # arXiv serves several categories in one feed ("cs.CL+cs.AI"): one request, no overlap.
        url = f"{self.base_url}/{self.flavour}/{'+'.join(categories)}"
        return self.client.fetch_parsed(url, parse_feed)


def parse_feed(body):
    """Parse an RSS 2.0 or Atom announcement feed into a list of Announcements without duplicates."""
    root = parse_xml(body)
    if local_name(root) == "rss":
        items = [_rss_item(item) for item in root.iterfind("channel/item")]
    elif local_name(root) == "feed":
        items = [_atom_entry(entry) for entry in root.iterfind("atom:entry", NS)]
    else:
        raise XmlParseError(f"neither RSS nor Atom: <{root.tag}>")
    return _deduplicated(a for a in items if a is not None)


def _deduplicated(announcements):
    """One Announcement per paper: the first wins, its version raised to the highest seen."""
    by_id = {}
    for item in announcements:
        first = by_id.setdefault(item.record.arxiv_id, item)
        if first is not item and (item.record.version or 0) > (first.record.version or 0):
            first.record.version = item.record.version
    return list(by_id.values())


def _rss_item(item):
    fields = dict(
        title=text_of(item, "title", None, ""),
        guid=text_of(item, "guid", None, ""),
        link=text_of(item, "link", None, ""),
        description=text_of(item, "description", None, ""),
        categories=[c.text.strip() for c in item.iterfind("category") if c.text and c.text.strip()],
        announced=_rfc2822_date(text_of(item, "pubDate", None)),
    )
    return _announcement(item, **fields)


def _atom_entry(entry):
    link = entry.find("atom:link[@rel='alternate']", NS)
    fields = dict(
        title=text_of(entry, "atom:title", NS, ""),
        guid=text_of(entry, "atom:id", NS, ""),
        link=link.get("href", "") if link is not None else "",
        description=text_of(entry, "atom:summary", NS, ""),
        categories=[c.get("term") for c in entry.iterfind("atom:category", NS) if c.get("term")],
        announced=_iso_date(text_of(entry, "atom:published", NS)),
    )
    return _announcement(entry, **fields)


def _announcement(element, *, title, guid, link, description, categories, announced):
    """Build the Announcement from fields both flavours share; None for an item without an arXiv id."""
    match = _DESCRIPTION.match(description)
    arxiv_id, version = _id_and_version(guid, match, link)
    if arxiv_id is None:
        return None
    declared = text_of(element, "arxiv:announce_type", NS) or (match and match["type"])
    announce_type = (declared or "new").lower()
    record = PaperRecord(
        arxiv_id=arxiv_id, version=version, title=title,
        abstract=match["abstract"].strip() if match else description or None,
        authors=split_authors(text_of(element, "dc:creator", NS, "")) or None,
        # The feed lists the primary category first, also for cross-lists.
        categories=list(dict.fromkeys(categories)) or None,
        # Optional elements: absence may mean "not sent", so None (unknown) rather than "".
        doi=text_of(element, "arxiv:DOI", NS), journal_ref=text_of(element, "arxiv:journal_reference", NS),
        source=SOURCE, origin=guid or link,
    )
    return Announcement(announce_type, record, announced)


def _id_and_version(guid, match, link):
    """The id from the guid ("oai:arXiv.org:2606.30775v1"), else the description, else the link."""
    for candidate in (guid.removeprefix("oai:arXiv.org:"), match and match["id"], link):
        if not candidate:
            continue
        try:
            return arxiv_ids.parse(candidate)
        except arxiv_ids.InvalidArxivId:
            continue
    return None, None


def _rfc2822_date(text):
    """The announcement day as arXiv writes it (Eastern time), not converted to UTC."""
    try:
        return email.utils.parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError):
        return None


def _iso_date(text):
    try:
        return dt.datetime.fromisoformat(text).date()
    except (TypeError, ValueError):
        return None
