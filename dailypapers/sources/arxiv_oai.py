"""arXiv OAI-PMH harvester (ListRecords, metadataPrefix ``arXivRaw`` or ``arXiv``).

Yields one ``OaiPage`` per response: its PaperRecords plus the resumption token for the next page, so
a caller can store the token after applying a page and resume there after a crash. Both token styles
are accepted: the legacy one (``completeListSize``/``cursor``) and the current one (no counts, an
empty ``<resumptionToken/>`` on the last page). A missing or empty token ends the list.
"""

import datetime as dt
import email.utils
import re
import unicodedata
from dataclasses import dataclass, field

from dailypapers.papers.records import PaperRecord

from .http import PoliteClient
from .xml import local_name, parse_xml, text_of

DEFAULT_BASE_URL = "https://oaipmh.arxiv.org/oai"
SOURCE = "arxiv_oai"
OAI = "http://www.openarchives.org/OAI/2.0/"
NS = {"oai": OAI, "raw": "http://arxiv.org/OAI/arXivRaw/", "arxiv": "http://arxiv.org/OAI/arXiv/"}


class OaiError(Exception):
    """An OAI-PMH ``<error>`` other than noRecordsMatch (e.g. badResumptionToken, badArgument)."""

    def __init__(self, code, message):
        super().__init__(f"OAI-PMH error {code}: {message}")
        self.code, self.message = code, message


@dataclass
class OaiPage:
    records: list[PaperRecord]
    # The token to request the next page with; None when the list is complete.
    token: str | None = None
    complete_list_size: int | None = None
    cursor: int | None = None
    deleted: list[str] = field(default_factory=list)  # OAI identifiers of deleted records (skipped)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (identifier, reason)
    # The server's own clock: arXiv advises taking the next incremental harvest's ``from`` from it.
    response_date: str | None = None


class OaiHarvester:
    def __init__(self, client=None, base_url=DEFAULT_BASE_URL, metadata_prefix="arXivRaw"):
        if metadata_prefix not in ("arXivRaw", "arXiv"):
            raise ValueError(f"unsupported metadataPrefix {metadata_prefix!r}")
        self.client = client or PoliteClient()
        self.base_url = base_url
        self.metadata_prefix = metadata_prefix

    def pages(self, *, from_date=None, until=None, set_spec=None, resumption_token=None):
        """Iterate over ListRecords pages; pass a stored ``resumption_token`` to resume a harvest."""
        token = resumption_token
        params = self._first_params(from_date, until, set_spec) if token is None else None
        while True:
            if token is not None:
                # OAI-PMH: resumptionToken is an exclusive argument, only the verb goes with it.
                params = {"verb": "ListRecords", "resumptionToken": token}
            page = self.client.fetch_parsed(self.base_url, parse_list_records, params)
            yield page
            if page.token is None:
                return
            token = page.token

    def records(self, **kwargs):
        for page in self.pages(**kwargs):
            yield from page.records

    def _first_params(self, from_date, until, set_spec):
        return {"verb": "ListRecords", "metadataPrefix": self.metadata_prefix,
                "from": _iso(from_date), "until": _iso(until), "set": set_spec}


def _iso(value):
    return value.isoformat() if isinstance(value, dt.date) else value


# -- parsing a ListRecords response ------------------------------------------------------------------
def parse_list_records(body):
    """Parse one ListRecords (or GetRecord) response body into an OaiPage."""
    root = parse_xml(body)
    response_date = text_of(root, "oai:responseDate", NS)
    error = _oai_error(root)
    if error is not None:
        error.response_date = response_date
        return error
    page = OaiPage(records=[], response_date=response_date)
    for record in root.iterfind(".//oai:record", NS):
        _add_record(page, record)
    _read_token(page, root.find(".//oai:resumptionToken", NS))
    return page


def _oai_error(root):
    """An empty page for noRecordsMatch (an empty harvest window is normal); raise on other errors."""
    errors = root.findall("oai:error", NS)
    if not errors:
        return None
    if all(e.get("code") == "noRecordsMatch" for e in errors):
        return OaiPage(records=[])
    first = next(e for e in errors if e.get("code") != "noRecordsMatch")
    raise OaiError(first.get("code", "unknown"), " ".join("".join(first.itertext()).split()))


def _read_token(page, element):
    if element is None:
        return
    page.token = (element.text or "").strip() or None
    page.complete_list_size = _int_or_none(element.get("completeListSize"))
    page.cursor = _int_or_none(element.get("cursor"))


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _add_record(page, record):
    header = record.find("oai:header", NS)
    identifier = text_of(header, "oai:identifier", NS, "") if header is not None else ""
    if header is not None and header.get("status") == "deleted":
        page.deleted.append(identifier)
        return
    metadata = record.find("oai:metadata", NS)
    body = metadata[0] if metadata is not None and len(metadata) else None
    parser = _PARSERS.get(local_name(body)) if body is not None else None
    if parser is None:
        page.skipped.append((identifier, "no arXiv or arXivRaw metadata"))
        return
    rec = parser(body)
    if not rec.arxiv_id or not rec.title:
        page.skipped.append((identifier, "no id or no title"))
        return
    rec.origin = identifier
    page.records.append(rec)


def _common(meta, prefix):
    """Fields both formats spell the same way. Absent optional fields are "" (arXiv says: none)."""
    def text(name):
        return text_of(meta, f"{prefix}:{name}", NS, "")

    return dict(
        arxiv_id=text("id"),
        title=text("title"),
        abstract=text("abstract"),
        # arXiv lists the primary category first.
        categories=text("categories").split(),
        comment=text("comments"),
        journal_ref=text("journal-ref"),
        doi=text("doi"),
        source=SOURCE,
    )


def _from_arxiv_raw(meta):
    versions = []
    for element in meta.iterfind("raw:version", NS):
        number = _int_or_none(element.get("version", "").lstrip("v"))
        if number:
            versions.append((number, _rfc2822_date(text_of(element, "raw:date", NS))))
    versions.sort()
    dates = dict(versions)
    latest = versions[-1][0] if versions else None
    return PaperRecord(**_common(meta, "raw"), authors=split_authors(text_of(meta, "raw:authors", NS, "")),
                       versions=versions, version=latest, published=dates.get(1),
                       updated=dates.get(latest) if latest else None)


def _from_arxiv(meta):
    authors = [_author_name(a) for a in meta.iterfind("arxiv:authors/arxiv:author", NS)]
    created = _iso_date(text_of(meta, "arxiv:created", NS))
    updated = _iso_date(text_of(meta, "arxiv:updated", NS))
    # This format knows v1's date but not the current version number.
    return PaperRecord(**_common(meta, "arxiv"), authors=[a for a in authors if a], published=created,
                       updated=updated or created, versions=[(1, created)] if created else [])


def _author_name(author):
    parts = [text_of(author, f"arxiv:{name}", NS, "") for name in ("forenames", "keyname", "suffix")]
    return tex_to_unicode(" ".join(p for p in parts if p))


_PARSERS = {"arXivRaw": _from_arxiv_raw, "arXiv": _from_arxiv}


def _rfc2822_date(text):
    try:
        return email.utils.parsedate_to_datetime(text).astimezone(dt.UTC).date()
    except (TypeError, ValueError, IndexError):
        return None


def _iso_date(text):
    try:
        return dt.date.fromisoformat((text or "")[:10])
    except ValueError:
        return None


# -- author names ----------------------------------------------------------------------------------
_SUFFIX = re.compile(r"^(?:Jr|Sr|II|III|IV|V)\.?$", re.IGNORECASE)
_COLLABORATION_TAIL = re.compile(r",?\s*\b(?:for|on behalf of)\s+the\b.*$", re.IGNORECASE | re.DOTALL)
_SEPARATORS = re.compile(r"\s*(?:,|;|&|\band\b)\s*")
# "with an appendix by Jean-Pierre Serre": the appendix author is an author.
_CONTRIBUTION = re.compile(r"^with\b.*?\b(?:by|from)\s+", re.IGNORECASE)


def split_authors(text):
    """Split arXiv's free-text author list ("A. B, C D (Inst), and E F Jr.") into names.

    Affiliations in parentheses (nested ones too) and a trailing "for the X Collaboration" are dropped;
    a lone "Jr."/"III" piece is glued back to the name before it.
    """
    text = _COLLABORATION_TAIL.sub("", _drop_parentheses(tex_to_unicode(text)))
    names = []
    for piece in _SEPARATORS.split(text):
        piece = _CONTRIBUTION.sub("", " ".join(piece.split()))
        if not piece or piece.lower().rstrip(".") == "et al":
            continue
        if _SUFFIX.match(piece) and names:
            names[-1] = f"{names[-1]} {piece}"
        else:
            names.append(piece)
    return names


def _drop_parentheses(text):
    """Remove balanced (...) groups; an unclosed "(" drops the rest, which is an affiliation."""
    out, depth = [], 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(char)
    return "".join(out)


# TeX accents in names: the same person must get the same slug from arXiv (TeX) and Hugging Face (Unicode).
_ACCENTS = {"'": "\u0301", "`": "\u0300", '"': "\u0308", "^": "\u0302", "~": "\u0303", "=": "\u0304",
            ".": "\u0307", "c": "\u0327", "v": "\u030c", "u": "\u0306", "H": "\u030b", "r": "\u030a",
            "k": "\u0328"}
_LETTERS = {"l": "ł", "L": "Ł", "o": "ø", "O": "Ø", "ss": "ß", "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ",
            "oe": "œ", "OE": "Œ", "i": "ı"}
_SYMBOL_ACCENT = re.compile(r"\\([`'\"^~=.])\s*(?:\{\s*\\?([A-Za-z])\s*\}|\\?([A-Za-z]))")
_LETTER_ACCENT = re.compile(r"\\([cvuHrk])(?:\s*\{\s*\\?([A-Za-z])\s*\}|\s+\\?([A-Za-z]))")
_SPECIAL_LETTER = re.compile(r"\\(ss|aa|AA|ae|AE|oe|OE|[lLoOi])(?![A-Za-z])\s*")


def tex_to_unicode(text):
    """Turn TeX accents (``B\\'ela``, ``S{\\l}upi\\'nski``) into Unicode; leave anything else alone."""
    def accent(match):
        return (match.group(2) or match.group(3)) + _ACCENTS[match.group(1)]

    text = _SYMBOL_ACCENT.sub(accent, text or "")
    text = _LETTER_ACCENT.sub(accent, text)
    text = _SPECIAL_LETTER.sub(lambda m: _LETTERS[m.group(1)], text)
    text = text.replace("{", "").replace("}", "")
    return unicodedata.normalize("NFC", text)
