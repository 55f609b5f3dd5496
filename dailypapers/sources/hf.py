"""Hugging Face daily papers: the JSONL export format and ``/api/daily_papers`` responses → PaperRecord.

The API has changed shape over time and the archived responses carry quirks (see
``../shared/fixtures/README.md``): entries as Python-repr strings, a ``{"status","date","count","data"}``
wrapper, the 2024 schema without ``submittedOnDailyAt``/``organization``. Both formats of one day give
the same records: the JSONL was derived from the API by exactly the mapping below.
"""

import ast
import datetime as dt

from dailypapers.lib import calendar
from dailypapers.papers.records import OrgRecord, PaperRecord, RecordError

SOURCE = "hf"


def parse_datetime(value, what):
    """ISO-8601 with ``Z`` → aware UTC datetime; RecordError on junk."""
    if value in (None, ""):
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise RecordError(f"{what} is not a date: {str(value)[:40]!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def parse_date(value, what):
    """``YYYY-MM-DD`` or a full timestamp → the (UTC) date."""
    if value in (None, ""):
        return None
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise RecordError(f"{what} is not a date: {value!r}") from None
    return parse_datetime(value, what).astimezone(dt.UTC).date()


def _none_if_empty(values):
    # HF sends [] where it simply has nothing (no keywords generated, no categories known).
    return list(values) if values else None


def record_from_jsonl(obj):
    """One line of ``hf-daily-papers.jsonl.gz`` (or of ``dailypapers export``)."""
    if not isinstance(obj, dict):
        raise RecordError(f"expected a JSON object, got {type(obj).__name__}")
    org = obj.get("organization")
    record = PaperRecord(
        arxiv_id=str(obj.get("arxiv_id") or ""),
        title=obj.get("title") or "",
        abstract=obj.get("abstract"),
        authors=_string_list(obj.get("authors"), "authors"),
        published=parse_date(obj.get("published"), "published"),
        categories=_none_if_empty(_string_list(obj.get("categories"), "categories")),
        hf_upvotes=obj.get("upvotes"),
        hf_comments=obj.get("num_comments"),
        featured_on=parse_date(obj.get("daily_date"), "daily_date"),
        featured_at=parse_datetime(obj.get("submitted_on_daily_at"), "submitted_on_daily_at"),
        submitted_by=obj.get("submitted_by"),
        organization=OrgRecord(name=org) if isinstance(org, str) and org.strip() else None,
        github_repo=obj.get("github_url"),
        github_stars=obj.get("github_stars"),
        project_page=obj.get("project_page"),
        keywords=_none_if_empty(_string_list(obj.get("ai_keywords"), "ai_keywords")),
        comment=obj.get("comment"),
        journal_ref=obj.get("journal_ref"),
        doi=obj.get("doi"),
        embedding=obj.get("embedding") if isinstance(obj.get("embedding"), dict) else None,
        source=SOURCE,
    )
    for name, value in _exported_extras(obj.get("hf"), org).items():
        setattr(record, name, value)
    if record.author_details is not None and len(record.author_details) != len(record.authors or []):
        record.author_details = None  # a hand-edited byline: its names win, HF's details are dropped
    return record


EXTRA_TEXT = ("title_as_sent", "listing_title", "abstract_as_sent", "discussion_id", "thumbnail", "ai_summary",
              "ai_summary_model", "github_repo_added_by")


def _exported_extras(extras, org_name):
    """The ``hf`` object of an exported line (``sources/export.py``): what HF sent beyond the JSONL columns."""
    if not isinstance(extras, dict):
        return {}
    found = {name: extras[name] for name in EXTRA_TEXT if isinstance(extras.get(name), str)}
    for name in ("published_at", "arxiv_submitted_at"):
        found[name] = parse_datetime(extras.get(name), name)
    if isinstance(extras.get("is_author_participating"), bool):
        found["is_author_participating"] = extras["is_author_participating"]
    if isinstance(extras.get("media_urls"), list):
        found["media_urls"] = [url for url in extras["media_urls"] if isinstance(url, str)]
    for name in ("submitter_profile", "daily_submitter", "submitter_organization"):
        if isinstance(extras.get(name), dict):
            found[name] = extras[name]
    details = extras.get("author_details")
    if isinstance(details, list) and all(isinstance(d, dict) for d in details):
        found["author_details"] = details
    org = extras.get("organization")
    if isinstance(org, dict) and isinstance(org_name, str) and org_name.strip():
        found["organization"] = OrgRecord(name=org_name, slug=org.get("slug") or org.get("hf_name"),
                                          avatar_url=org.get("avatar_url"), hf_name=org.get("hf_name"),
                                          hf_id=org.get("hf_id"))
    return found


def entries_of(payload):
    """The list of entries of a ``/api/daily_papers`` body, whatever its wrapping."""
    if isinstance(payload, dict):
        if isinstance(payload.get("data"), list):
            return payload["data"]
        raise RecordError("object without a 'data' list")
    if isinstance(payload, list):
        return payload
    raise RecordError(f"expected a JSON list, got {type(payload).__name__}")


def payload_date(payload):
    """The feed day a wrapped payload names (``{"date": …}``), if any."""
    if isinstance(payload, dict) and payload.get("date"):
        try:
            return parse_date(payload["date"], "date")
        except RecordError:
            return None
    return None


def record_from_api_entry(entry, feed_day=None):
    """One item of ``/api/daily_papers``. ``feed_day`` is the day requested (the file's date)."""
    if isinstance(entry, str):
        entry = _literal(entry)
    if not isinstance(entry, dict) or not isinstance(entry.get("paper"), dict):
        raise RecordError("entry without a 'paper' object")
    paper = entry["paper"]
    submitted_at = parse_datetime(paper.get("submittedOnDailyAt") or entry.get("publishedAt"), "submittedOnDailyAt")
    authors = [a for a in _dicts(paper.get("authors"), "authors") if not a.get("hidden") and a.get("name")]
    daily_by, listed_by = _profile(paper.get("submittedOnDailyBy")), _profile(entry.get("submittedBy"))
    title = paper.get("title") or entry.get("title") or ""
    abstract = paper.get("summary") if paper.get("summary") is not None else entry.get("summary")
    return PaperRecord(
        arxiv_id=str(paper.get("id") or ""),
        title=title,
        abstract=abstract,
        authors=[a["name"] for a in authors],
        author_details=[_author_details(a) for a in authors],
        published=parse_date(paper.get("publishedAt"), "publishedAt"),
        published_at=parse_datetime(paper.get("publishedAt"), "publishedAt"),
        arxiv_submitted_at=parse_datetime(entry.get("publishedAt"), "publishedAt"),
        hf_upvotes=paper.get("upvotes"),
        hf_comments=entry.get("numComments"),
        featured_on=feed_day or (calendar.hf_feed_day(submitted_at) if submitted_at else None),
        featured_at=submitted_at,
        submitted_by=(daily_by or {}).get("user") or (listed_by or {}).get("name"),
        submitter_profile=listed_by,
        daily_submitter=daily_by,
        submitter_organization=_organization_object(entry.get("submitterOrganization")),
        organization=_org(entry.get("organization") or paper.get("organization")),
        github_repo=paper.get("githubRepo"),
        github_stars=paper.get("githubStars"),
        github_repo_added_by=_str_or_none(paper.get("githubRepoAddedBy")),
        project_page=paper.get("projectPage"),
        keywords=_none_if_empty(_string_list(paper.get("ai_keywords"), "ai_keywords")),
        ai_summary=_str_or_none(paper.get("ai_summary") or entry.get("ai_summary")),
        ai_summary_model=_str_or_none(paper.get("ai_summary_model")),
        title_as_sent=title,
        listing_title=_str_or_none(entry.get("title")),
        abstract_as_sent=abstract if isinstance(abstract, str) else None,
        discussion_id=_str_or_none(paper.get("discussionId")),
        thumbnail=_str_or_none(entry.get("thumbnail") or entry.get("mediaUrl")),
        media_urls=_media(entry, paper),
        is_author_participating=_bool_or_none(entry.get("isAuthorParticipating")),
        source=SOURCE,
    )


# The keys of a user object, as an anonymous request gets them (2024's objects say ``id`` for ``_id``).
PROFILE_KEYS = ("_id", "id", "avatarUrl", "fullname", "name", "user", "type", "isPro", "isHf", "isHfAdmin", "isMod",
                "followerCount", "isUserFollowing")


def _profile(user):
    """A Hugging Face user object reduced to its account keys, or None."""
    if not isinstance(user, dict) or not (user.get("user") or user.get("name")):
        return None
    return {key: user[key] for key in PROFILE_KEYS if key in user and _plain(user[key])}


def _organization_object(org):
    """A Hugging Face organization object as sent (its plain keys), or None."""
    if not isinstance(org, dict) or not isinstance(org.get("name"), str) or not org["name"]:
        return None
    return {key: org[key] for key in ("_id", "name", "fullname", "avatar") if key in org and _plain(org[key])}


def _plain(value):
    return value is None or isinstance(value, (str, bool, int))


def _author_details(author):
    details = {key: author[key] for key in ("_id", "status", "statusLastChangedAt") if isinstance(author.get(key), str)}
    user = _profile(author.get("user"))
    if user:
        details["user"] = user
    return details


def _media(entry, paper):
    """``mediaUrls`` (the listing's, else the paper's); ``[]`` when HF sent the key empty."""
    for value in (entry.get("mediaUrls"), paper.get("mediaUrls")):
        if isinstance(value, list):
            return [v for v in value if isinstance(v, str)]
    return None


def _str_or_none(value):
    return value if isinstance(value, str) else None


def _bool_or_none(value):
    return value if isinstance(value, bool) else None


def _literal(text):
    """Some archived entries are Python reprs (``{'paper': {...}, 'upvoted': False}``), not JSON."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise RecordError("entry is a string that is neither JSON nor a Python literal") from None


def _org(org):
    if not isinstance(org, dict):
        return None
    name = org.get("fullname") or org.get("name")
    if not name:
        return None
    return OrgRecord(name=name, slug=org.get("name"), avatar_url=org.get("avatar"),
                     hf_name=_str_or_none(org.get("name")), hf_id=_str_or_none(org.get("_id")))


def _string_list(values, what):
    if values is None:
        return None
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise RecordError(f"{what} is not a list of strings")
    return values


def _dicts(values, what):
    if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
        raise RecordError(f"{what} is not a list of objects")
    return values
