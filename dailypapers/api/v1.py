"""``/api/v1`` reads: papers (list, filter, get), feed days, organizations, authors and public
collections. The writes (and a paper's comments) are in ``v1_writes.py``.

Lists page with opaque cursors (``cursors.py``); every error is ``{"error": {"code", "message"}}``.
"""

import datetime as dt
from typing import Literal
from urllib.parse import urlencode

from django.urls import reverse
from ninja import Field, Path, Query, Router, Schema
from pydantic import ConfigDict

from dailypapers.lib import periods, siteurl

from . import cursors, queries
from .v1_schemas import (
    AuthorOut,
    CollectionDetailOut,
    CollectionPage,
    DayPage,
    ErrorOut,
    OrganizationDetailOut,
    OrganizationPage,
    PaperDetailOut,
    PaperPage,
)

router = Router(tags=["v1"])

# Slugs keep non-Latin letters (``李明``); \w is Unicode-aware.
SLUG = r"^[-\w]+$"
# Django's user names ([\w.@+-]), and Hugging Face's.
USER_NAME = r"^[\w.@+\-]{1,150}$"
# 401/403: a read needs no token, but one sent must be live and its account active (see http.py).
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut}


def responses(ok):
    return {200: ok, **ERRORS}


class Params(Schema):
    # Python's regex engine, the one schemathesis generates examples with, so both read patterns alike.
    model_config = ConfigDict(regex_engine="python-re")


class PageParams(Params):
    cursor: str | None = Field(None, max_length=1000, description="`next_cursor` of the previous page")
    limit: int = Field(20, ge=1, le=100)


class PaperParams(PageParams):
    day: str | None = Field(None, pattern=queries.DAY_PATTERN, json_schema_extra=queries.DATE_FORMAT,
                                 description="Featured on this day")
    week: str | None = Field(None, pattern=queries.WEEK_PATTERN, description="Featured in this ISO week")
    month: str | None = Field(None, pattern=queries.MONTH_PATTERN, description="Featured in this month")
    category: str | None = Field(None, pattern=r"^[A-Za-z\-]+(\.[A-Za-z\-]+)?$", max_length=40,
                                 description="arXiv category, e.g. cs.LG")
    organization: str | None = Field(None, pattern=SLUG, max_length=200, description="Organization slug")
    author: str | None = Field(None, pattern=SLUG, max_length=255, description="Author slug")
    submitter: str | None = Field(None, pattern=USER_NAME, description="User name of the submitter")
    sort: Literal["newest", "upvotes", "trending"] = Field(
        "newest", description="newest (v1 date), upvotes, or trending (as of the first page)"
    )


class CollectionParams(PageParams):
    owner: str | None = Field(None, pattern=USER_NAME, description="Only this user's")


@router.get("/papers", response=responses(PaperPage))
def list_papers(request, params: Query[PaperParams]):
    """Papers matching every filter given, in pages of ``limit``."""
    period = queries.one_period(params.day, params.week, params.month)
    found = queries.papers(period, params.category, params.organization, params.author, params.submitter)
    kind, keys = f"papers:{params.sort}", queries.PAPER_SORT_KEYS[params.sort]
    carried = ()
    if params.sort == "trending":
        # Every page ranks at the instant of the first, or pages would overlap as scores decay.
        default = int(queries.trending_reference(period).timestamp())
        carried = cursors.carried_values(params.cursor, kind, 1 + len(keys), (default,))
    found = queries.with_sort_keys(found, params.sort, carried[0] if carried else None)
    rows, next_cursor = cursors.page(found, kind, keys, params.limit, params.cursor, carried)
    return {"items": [paper_out(request, paper) for paper in rows], "next_cursor": next_cursor}


@router.get("/papers/{path:arxiv_id}", response=responses(PaperDetailOut))
def get_paper(request, arxiv_id: str):
    """One paper with its versions; any version of the id, or an arXiv URL, finds it."""
    paper = queries.visible_paper(arxiv_id)
    versions = [{"version": v.version, "announced": v.announced} for v in paper.versions.all()]
    return paper_out(request, paper) | {"versions": versions}


@router.get("/days", response=responses(DayPage))
def list_days(request, params: Query[PageParams]):
    """Feed days that have papers, newest first, with their number of papers."""
    rows, next_cursor = cursors.page(queries.feed_days(), "days", ("feed_day",), params.limit, params.cursor)
    return {"items": [_day(request, row["feed_day"], row["papers"]) for row in rows], "next_cursor": next_cursor}


@router.get("/organizations", response=responses(OrganizationPage))
def list_organizations(request, params: Query[PageParams]):
    """Organizations with papers, most papers first."""
    rows, next_cursor = cursors.page(queries.organizations(), "organizations", ("paper_count", "id"),
                                     params.limit, params.cursor)
    return {"items": [_organization(request, org, org.paper_count) for org in rows], "next_cursor": next_cursor}


@router.get("/organizations/{slug}", response=responses(OrganizationDetailOut))
def get_organization(request, slug: str = Path(..., pattern=SLUG, max_length=200)):
    org, totals = queries.organization(slug)
    return _organization(request, org, totals["papers"]) | {"upvotes": totals["upvotes"]}


@router.get("/authors/{slug}", response=responses(AuthorOut))
def get_author(request, slug: str = Path(..., pattern=SLUG, max_length=255)):
    author, totals = queries.author(slug)
    return {
        "slug": author.slug,
        "name": author.name,
        "url": _absolute(request, author.get_absolute_url()),
        "papers_url": _papers_url(request, author=author.slug),
        "paper_count": totals["papers"],
        "upvotes": totals["upvotes"],
    }


@router.get("/collections", response=responses(CollectionPage))
def list_collections(request, params: Query[CollectionParams]):
    """Public collections, most recently changed first."""
    rows, next_cursor = cursors.page(queries.public_collections(params.owner), "collections", ("updated_at", "id"),
                                     params.limit, params.cursor)
    return {"items": [_collection(request, c) for c in rows], "next_cursor": next_cursor}


@router.get("/collections/{username}/{slug}", response=responses(CollectionDetailOut))
def get_collection(request, params: Query[PageParams], username: str = Path(..., pattern=USER_NAME),
                   slug: str = Path(..., pattern=SLUG, max_length=120)):
    """A public collection and its papers, newest addition first."""
    collection = queries.public_collection(username, slug)
    entries, next_cursor = cursors.page(queries.collection_entries(collection), "collection", ("added_at", "id"),
                                        params.limit, params.cursor)
    return _collection(request, collection) | {
        "entries": [{"added_at": e.added_at, "paper": paper_out(request, e.paper)} for e in entries],
        "next_cursor": next_cursor,
    }


# -- serializers ---------------------------------------------------------------------------------------
def paper_out(request, paper):
    """A paper loaded with ``for_cards`` as ``PaperOut``."""
    return {
        "id": paper.arxiv_id,
        "version": paper.version,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": [_author_ref(request, link) for link in paper.ordered_authors],
        "published": paper.published,
        "updated": paper.updated,
        "categories": paper.categories,
        "comment": paper.comment or None,
        "journal_ref": paper.journal_ref or None,
        "doi": paper.doi or None,
        "github_repo": paper.github_repo or None,
        "github_stars": paper.github_stars,
        "project_page": paper.project_page or None,
        "organization": _organization_ref(request, paper.organization),
        "keywords": list(paper.keywords or []),
        "withdrawn": paper.withdrawn,
        "upvotes": paper.upvotes,
        "num_comments": paper.num_comments,
        "featured": _featured(getattr(paper, "submission", None)),
        "urls": _paper_urls(request, paper),
    }


def _author_ref(request, link):
    return {"name": link.name, "slug": link.author.slug, "url": _absolute(request, link.get_absolute_url())}


def _organization_ref(request, org):
    if org is None:
        return None
    return {"slug": org.slug, "name": org.name, "avatar_url": org.avatar_url or None,
            "url": _absolute(request, org.get_absolute_url())}


def _organization(request, org, paper_count):
    return _organization_ref(request, org) | {
        "papers_url": _papers_url(request, organization=org.slug),
        "paper_count": paper_count,
    }


def _collection(request, collection):
    owner, slug = collection.owner.username, collection.slug
    return {
        "owner": owner,
        "slug": slug,
        "name": collection.name,
        "description": collection.description,
        "paper_count": collection.size,
        "updated_at": collection.updated_at,
        "url": _absolute(request, collection.get_absolute_url()),
        "api_url": _absolute(request, reverse("api:get_collection", args=[owner, slug])),
        "feed_url": _absolute(request, reverse("feeds:collections-rss", args=[owner, slug])),
    }


def _featured(submission):
    if submission is None:
        return None
    return {"day": submission.feed_day, "submitted_at": submission.submitted_at,
            "submitter": submission.submitter_display or None}


def _paper_urls(request, paper):
    return {
        "page": _absolute(request, paper.get_absolute_url()),
        "markdown": _absolute(request, reverse("paper-markdown", args=[paper.arxiv_id])),
        "api": _absolute(request, reverse("api:get_paper", args=[paper.arxiv_id])),
        "abs": paper.abs_url,
        "pdf": paper.pdf_url,
        "html": paper.html_url,
    }


def _day(request, day: dt.date, count):
    return {
        "date": day,
        "papers": count,
        "url": _papers_url(request, day=day.isoformat()),
        "page": _absolute(request, reverse("papers:day", args=[periods.day(day).key])),
    }


def _papers_url(request, **filters):
    return _absolute(request, f"{reverse('api:list_papers')}?{urlencode(filters)}")


def _absolute(request, path):
    return siteurl.absolute(path)
