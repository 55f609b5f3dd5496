"""Hugging Face-compatible read endpoints: same paths, parameters and JSON as huggingface.co, so
``huggingface_hub.HfApi(endpoint=…)`` works against this site unchanged.

``/api/daily_papers`` ranks a date, week or month by upvotes unless ``sort`` says otherwise, as
Hugging Face does; with no period it lists the most recently featured papers first.
"""

import datetime as dt
from typing import Literal
from urllib.parse import urlencode

from django.http import HttpResponse
from ninja import Field, Path, Query, Router, Schema
from pydantic import ConfigDict

from dailypapers.lib import siteurl
from dailypapers.papers.models import Paper
from dailypapers.search import api as search

from . import cursors, queries
from .hf_schemas import HfDailyEntry, HfError, HfPaperInfo, HfRepos, HfSearchEntry

router = Router(tags=["Hugging Face compatible"])

# Every status these routes answer, with its body (Hugging Face's ``{"error": message}``).
ERRORS = {400: HfError, 404: HfError, 429: HfError}
# /api/papers' cursor: a signed token (cursors.py) in URL-safe base64 and ":"; 400 if we did not sign it.
CURSOR = r"^[A-Za-z0-9_\-:.]{1,300}$"

HF_SORTS = {"publishedAt": "newest", "trending": "trending"}
MAX_SEARCH_LIMIT = 120  # Hugging Face's own cap
MAX_PAGE = 10_000  # p beyond this is surely a mistake, and an OFFSET that large is slow


def responses(ok):
    return {200: ok, **ERRORS}


class DailyParams(Schema):
    # Python's regex engine, the one schemathesis generates examples with, so both read patterns alike.
    model_config = ConfigDict(regex_engine="python-re")

    date: str | None = Field(None, pattern=queries.DAY_PATTERN, json_schema_extra=queries.DATE_FORMAT,
                                 description="A feed day, YYYY-MM-DD")
    week: str | None = Field(None, pattern=queries.WEEK_PATTERN, description="An ISO week, YYYY-Www")
    month: str | None = Field(None, pattern=queries.MONTH_PATTERN, description="A month, YYYY-MM")
    submitter: str | None = Field(None, pattern=r"^[\w.@+\-]{1,150}$", description="User name of the submitter")
    sort: Literal["publishedAt", "trending"] | None = Field(
        None, description="Newest first, or trending; default: upvotes for a period, else newest"
    )
    p: int = Field(0, ge=0, le=MAX_PAGE, description="Page number, from 0")
    limit: int = Field(50, ge=1, le=100)


@router.get("/daily_papers", response=responses(list[HfDailyEntry]), by_alias=True, exclude_none=True)
def daily_papers(request, response: HttpResponse, params: Query[DailyParams]):
    """The papers featured on a day, week or month (or lately), paged with ``p`` and a ``Link`` header."""
    period = queries.one_period(params.date, params.week, params.month)
    sort = HF_SORTS.get(params.sort) or ("upvotes" if period else "newest")
    found = queries.featured(period, params.submitter).ranked(sort, queries.trending_reference(period))
    start = params.p * params.limit
    rows = list(found[start : start + params.limit + 1])
    if len(rows) > params.limit:
        response["Link"] = f'<{_page_url(request, params.p + 1)}>; rel="next"'
    return [daily_entry(paper) for paper in rows[: params.limit]]


class PapersParams(Schema):
    model_config = ConfigDict(regex_engine="python-re")

    cursor: str | None = Field(None, pattern=CURSOR, description="From the previous page's Link header")
    limit: int = Field(50, ge=1, le=100)


@router.get("/papers", response=responses(list[HfPaperInfo]), by_alias=True, exclude_none=True)
def list_papers(request, response: HttpResponse, params: Query[PapersParams]):
    """Every paper the site knows, newest arXiv date first, paged by the cursor in a ``Link`` header."""
    found = queries.with_sort_keys(Paper.objects.visible().for_cards(), "newest", None)
    rows, next_cursor = cursors.page(found, "hf-papers", queries.PAPER_SORT_KEYS["newest"], params.limit,
                                     params.cursor)
    if next_cursor:
        query = urlencode({"cursor": next_cursor, "limit": params.limit})
        response["Link"] = f'<{siteurl.absolute(request.path)}?{query}>; rel="next"'
    return [paper_info_dict(paper) for paper in rows]


@router.get("/arxiv/{path:arxiv_id}/repos", response=responses(HfRepos), by_alias=True, exclude_none=True)
def arxiv_repos(request, arxiv_id: str = Path(..., max_length=100)):
    """The Hub repositories citing a paper, in Hugging Face's shape: this site hosts none, so the lists
    are empty; the paper's code repository (GitHub) comes along where the site knows one."""
    paper = queries.visible_paper(arxiv_id)
    return {"models": [], "datasets": [], "spaces": [], "githubRepo": paper.github_repo or None,
            "githubStars": paper.github_stars}


class SearchParams(Schema):
    q: str = Field("", max_length=1000, description="Words, \"phrases\", -exclusions, author:, cat:, org:")
    limit: int = Field(50, ge=1, le=MAX_SEARCH_LIMIT)


# Before /papers/{id}, which would otherwise take "search" for an id.
@router.get("/papers/search", response=responses(list[HfSearchEntry]), by_alias=True, exclude_none=True)
def search_papers(request, params: Query[SearchParams]):
    """Hybrid keyword + semantic search, best first, with Hugging Face's highlight segments."""
    hits = []
    while len(hits) < params.limit:
        # search() pages at most search.api.MAX_LIMIT at a time; Hugging Face allows up to 120.
        want = min(search.MAX_LIMIT, params.limit - len(hits))
        page = search.search(params.q, offset=len(hits), limit=want, all_authors=True).hits
        hits += page
        if len(page) < want:
            break
    return [search_entry(hit) for hit in hits]


@router.get("/papers/{path:arxiv_id}", response=responses(HfPaperInfo), by_alias=True, exclude_none=True)
def paper_info(request, arxiv_id: str = Path(..., max_length=100)):
    """One paper, flat, as ``huggingface_hub.HfApi.paper_info`` reads it; 404 when unknown."""
    return paper_info_dict(queries.visible_paper(arxiv_id))


def _page_url(request, number):
    query = request.GET.copy()
    query["p"] = str(number)
    return siteurl.absolute(f"{request.path}?{query.urlencode()}")


# -- serializers: Paper (loaded with for_cards) -> Hugging Face dicts ----------------------------------
# Hugging Face leaves a key out when it has nothing for it (never null), and so do these: the
# endpoints serialize with exclude_none, and empty strings and lists become None here.
def flat_paper(paper):
    """The ``paper`` object of a daily item (``/api/papers/{id}`` adds ``numComments``)."""
    submission = getattr(paper, "submission", None)
    return {
        "id": paper.arxiv_id,
        "authors": [_author(link) for link in paper.ordered_authors],
        "publishedAt": paper.published_at or _midnight(paper.published),
        "submittedOnDailyAt": submission.submitted_at if submission else None,
        "title": paper.title_as_sent or paper.title,
        "submittedOnDailyBy": _daily_submitter(submission),
        "summary": paper.abstract_as_sent or paper.abstract,
        "upvotes": paper.upvotes,
        "discussionId": paper.discussion_id or None,
        "projectPage": paper.project_page or None,
        "githubRepo": paper.github_repo or None,
        "githubRepoAddedBy": paper.github_repo_added_by or None,
        "ai_summary": paper.ai_summary or None,
        "ai_keywords": list(paper.keywords) or None,
        "ai_summary_model": paper.ai_summary_model or None,
        "githubStars": paper.github_stars,
        "organization": _organization(paper.organization),
        "mediaUrls": list(paper.media_urls) or None,
    }


def paper_info_dict(paper):
    return flat_paper(paper) | {"numComments": paper.num_comments}


def daily_entry(paper):
    inner = flat_paper(paper)
    return {
        "paper": inner,
        "publishedAt": paper.arxiv_submitted_at or inner["publishedAt"],
        "title": paper.listing_title or " ".join(inner["title"].split()),
        "summary": inner["summary"],
        "mediaUrls": inner["mediaUrls"],
        "thumbnail": paper.thumbnail or None,
        "numComments": paper.num_comments,
        "submittedBy": _listing_submitter(getattr(paper, "submission", None)),
        "submitterOrganization": getattr(getattr(paper, "submission", None), "submitter_organization", None) or None,
        "organization": inner["organization"],
        "isAuthorParticipating": paper.is_author_participating,
    }


def search_entry(hit):
    return daily_entry(hit.paper) | {
        "upvoted": False,  # nobody is signed in on these reads
        "highlightedTitle": hit.highlighted_title,
        "highlightedSummary": hit.highlighted_summary,
    }


def _author(link):
    details = link.hf or {}
    user = details.get("user")
    if isinstance(user, dict) and not user.get("fullname"):  # HF always sends it; an older record may not
        user = user | {"fullname": user.get("user") or user.get("name") or link.name}
    return {"_id": details.get("_id") or str(link.pk), "user": user, "name": link.name,
            "status": details.get("status"), "statusLastChangedAt": details.get("statusLastChangedAt"),
            "hidden": False}


def _daily_submitter(submission):
    """``paper.submittedOnDailyBy``: Hugging Face's object as sent, else one made from what we know."""
    if submission is None:
        return None
    if submission.daily_submitter and not submission.submitter_id:
        return _with_fullname(submission.daily_submitter, submission)
    name = submission.submitter_display
    if not name:
        return None
    return {"fullname": submission.submitter_fullname, "user": name, "type": "user", "name": name}


def _with_fullname(user, submission):
    """A stored user object as sent; one that came without ``fullname`` (which HF always sends, and
    huggingface_hub reads) gets the name we know, rather than failing the whole list."""
    return user if user.get("fullname") else user | {"fullname": submission.submitter_fullname}


def _listing_submitter(submission):
    """The listing's ``submittedBy`` (Hugging Face sends ``name``, no ``user``, here)."""
    if submission is None:
        return None
    if submission.submitter_profile and not submission.submitter_id:
        return _with_fullname(submission.submitter_profile, submission)
    name = submission.submitter_display
    if not name:
        return None
    return {"fullname": submission.submitter_fullname, "name": name, "type": "user"}


def _organization(org):
    if org is None:
        return None
    return {"_id": org.hf_id or str(org.pk), "name": org.hf_name or org.slug, "fullname": org.name,
            "avatar": org.avatar_url or None}


def _midnight(day):
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) if day else None
