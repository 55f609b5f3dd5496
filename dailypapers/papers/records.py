"""PaperRecord: the one normalized shape every source yields and ``upsert_papers`` accepts.

A field left as ``None`` means "this source does not know": the write path keeps what the database
has. An empty string or list means "known to be empty".
"""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from dailypapers.lib import arxiv_ids
from dailypapers.lib.text import clean_line

# Control characters but tab, line feed and carriage return: text "as sent" keeps its line breaks.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value):
    """``value`` with its line breaks and spacing, less control characters and outer white space."""
    return _CONTROL.sub("", unicodedata.normalize("NFC", str(value))).strip()


class RecordError(ValueError):
    """A record that cannot be stored; the message is the reason reported for it."""


@dataclass
class OrgRecord:
    name: str
    slug: str | None = None
    avatar_url: str | None = None
    # Hugging Face's organization name (its URL handle, case kept) and id, where it sent them.
    hf_name: str | None = None
    hf_id: str | None = None


@dataclass
class PaperRecord:
    arxiv_id: str
    title: str
    abstract: str | None = None
    authors: list[str] | None = None
    published: dt.date | None = None
    updated: dt.date | None = None
    version: int | None = None
    versions: list[tuple[int, dt.date | None]] = field(default_factory=list)
    categories: list[str] | None = None
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    organization: OrgRecord | None = None
    keywords: list[str] | None = None
    withdrawn: bool | None = None
    hf_upvotes: int | None = None
    hf_comments: int | None = None
    # The feed day the paper was featured on, with when and by whom (a Hugging Face user name).
    featured_on: dt.date | None = None
    featured_at: dt.datetime | None = None
    submitted_by: str | None = None
    # Hugging Face's own words and snapshots, kept so the HF-compatible API can answer as HF does
    # (docs/api.md): the text as sent (line breaks kept), exact times, the wire objects of users.
    title_as_sent: str | None = None
    listing_title: str | None = None
    abstract_as_sent: str | None = None
    published_at: dt.datetime | None = None
    arxiv_submitted_at: dt.datetime | None = None
    discussion_id: str | None = None
    thumbnail: str | None = None
    media_urls: list[str] | None = None
    ai_summary: str | None = None
    ai_summary_model: str | None = None
    github_repo_added_by: str | None = None
    is_author_participating: bool | None = None
    # One dict per entry of ``authors`` (HF's ``_id``, ``status``, ``statusLastChangedAt``, ``user``).
    author_details: list[dict] | None = None
    # HF's ``submittedBy`` (the listing's) and ``paper.submittedOnDailyBy`` objects, as sent.
    submitter_profile: dict | None = None
    daily_submitter: dict | None = None
    # The listing's ``submitterOrganization`` (``_id``, ``name``, ``fullname``, ``avatar``), as sent.
    submitter_organization: dict | None = None
    # From ``dailypapers export --vectors``: {"model": fingerprint, "vector": base64 of 384 float32};
    # the search app adopts it when the model matches (search.jobs.adopt_vectors), never upsert.
    embedding: dict | None = None
    source: str = ""
    # Where the record came from ("file.jsonl.gz:17"), for error reports.
    origin: str = ""

    def normalized(self):
        """A cleaned copy; raise RecordError when the record cannot be stored at all."""
        try:
            arxiv_id, id_version = arxiv_ids.parse(self.arxiv_id)
        except arxiv_ids.InvalidArxivId as exc:
            raise RecordError(str(exc)) from None
        title = clean_line(self.title)
        if not title:
            raise RecordError(f"{arxiv_id}: no title")
        for name in ("published", "updated", "featured_on"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, dt.datetime) or not isinstance(value, dt.date)):
                raise RecordError(f"{arxiv_id}: {name} is not a date: {value!r}")
        for name in ("featured_at", "published_at", "arxiv_submitted_at"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, dt.datetime):
                raise RecordError(f"{arxiv_id}: {name} is not a datetime: {value!r}")
        if self.author_details is not None and len(self.author_details) != len(self.authors or []):
            raise RecordError(f"{arxiv_id}: author_details does not match authors")
        version = max(filter(None, [self.version, id_version, *(n for n, _ in self.versions)]), default=None)
        return PaperRecord(
            **{
                **self.__dict__,
                "arxiv_id": arxiv_id,
                "title": title,
                "version": version,
                "abstract": _clean_or_none(self.abstract),
                # Two co-authors may share a name, so authors keep duplicates; labels do not.
                "authors": _clean_list(self.authors, unique=False),
                "categories": _clean_list(self.categories),
                "keywords": _clean_list(self.keywords),
                "comment": _clean_or_none(self.comment),
                "journal_ref": _clean_or_none(self.journal_ref),
                "doi": _clean_or_none(self.doi),
                "github_repo": _url_or_none(self.github_repo),
                "project_page": _url_or_none(self.project_page),
                "github_stars": _nonneg_or_none(self.github_stars),
                "hf_upvotes": _nonneg_or_none(self.hf_upvotes),
                "hf_comments": _nonneg_or_none(self.hf_comments),
                "submitted_by": _clean_or_none(self.submitted_by),
                "organization": _clean_org(self.organization),
                "title_as_sent": _as_sent(self.title_as_sent, title),
                "listing_title": _as_sent(self.listing_title, title),
                "abstract_as_sent": _as_sent(self.abstract_as_sent, _clean_or_none(self.abstract)),
                "discussion_id": _clean_or_none(self.discussion_id),
                "thumbnail": _url_or_none(self.thumbnail),
                "media_urls": _url_list(self.media_urls),
                "ai_summary": _clean_or_none(self.ai_summary),
                "ai_summary_model": _clean_or_none(self.ai_summary_model),
                "github_repo_added_by": _clean_or_none(self.github_repo_added_by),
            }
        )


def _clean_or_none(value):
    return None if value is None else clean_line(value)


def _as_sent(value, cleaned):
    """The text as sent, control characters dropped, when it differs from its cleaned form; "" when it
    does not (so the column stays empty for the common case); None when the source did not send it."""
    if value is None:
        return None
    kept = clean_text(value)
    return "" if kept == cleaned else kept


def _url_list(values):
    if values is None:
        return None
    return [url for url in (_url_or_none(v) for v in values if isinstance(v, str)) if url]


def _clean_list(values, unique=True):
    if values is None:
        return None
    cleaned = [v for v in (clean_line(v) for v in values) if v]
    return list(dict.fromkeys(cleaned)) if unique else cleaned


def _url_or_none(value):
    """Only http(s) links are kept: a ``javascript:`` URL from a feed must never become a link."""
    value = _clean_or_none(value)
    if value is None:
        return None
    if value and not value.lower().startswith(("http://", "https://")):
        return ""
    return value[:500]


def _nonneg_or_none(value):
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return max(number, 0)


def _clean_org(org):
    if org is None or not clean_line(org.name):
        return None
    return OrgRecord(name=clean_line(org.name), slug=org.slug, avatar_url=_url_or_none(org.avatar_url),
                     hf_name=_clean_or_none(org.hf_name), hf_id=_clean_or_none(org.hf_id))
