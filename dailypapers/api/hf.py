"""Hugging Face-compatible read endpoints: same paths, parameters and JSON as huggingface.co, so
``huggingface_hub.HfApi(endpoint=…)`` works against this site unchanged.

``/api/daily_papers`` ranks a date, week or month by upvotes unless ``sort`` says otherwise, as
Hugging Face does; with no period it lists the most recently featured papers first.
"""

import datetime as dt
from typing import Literal

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema

from dailypapers.search import api as search

from . import queries
from .hf_schemas import HfDailyEntry, HfPaper, HfSearchEntry

router = Router(tags=["Hugging Face compatible"])

HF_SORTS = {"publishedAt": "newest", "trending": "trending"}
MAX_SEARCH_LIMIT = 120  # Hugging Face's own cap
MAX_PAGE = 10_000  # p beyond this is surely a mistake, and an OFFSET that large is slow


class DailyParams(Schema):
    date: str | None = Field(None, description="A feed day, YYYY-MM-DD")
    week: str | None = Field(None, description="An ISO week, YYYY-Www")
    month: str | None = Field(None, description="A month, YYYY-MM")
    submitter: str | None = Field(None, pattern=r"^[\w.@+\-]{1,150}$", description="User name of the submitter")
    sort: Literal["publishedAt", "trending"] | None = Field(
        None, description="Newest first, or trending; default: upvotes for a period, else newest"
    )
    p: int = Field(0, ge=0, le=MAX_PAGE, description="Page number, from 0")
    limit: int = Field(50, ge=1, le=100)


@router.get("/daily_papers", response=list[HfDailyEntry], by_alias=True, exclude_none=True)
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


class SearchParams(Schema):
    q: str = Field("", max_length=1000, description="Words, \"phrases\", -exclusions, author:, cat:, org:")
    limit: int = Field(50, ge=1, le=MAX_SEARCH_LIMIT)


# Before /papers/{id}, which would otherwise take "search" for an id.
@router.get("/papers/search", response=list[HfSearchEntry], by_alias=True, exclude_none=True)
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


@router.get("/papers/{path:arxiv_id}", response=HfPaper, by_alias=True, exclude_none=True)
def paper_info(request, arxiv_id: str):
    """One paper, flat, as ``huggingface_hub.HfApi.paper_info`` reads it; 404 when unknown."""
    return flat_paper(queries.visible_paper(arxiv_id))


def _page_url(request, number):
    query = request.GET.copy()
    query["p"] = str(number)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


# -- serializers: Paper (loaded with for_cards) -> Hugging Face dicts ----------------------------------
def flat_paper(paper):
    submission = getattr(paper, "submission", None)
    return {
        "id": paper.arxiv_id,
        "authors": [{"_id": str(link.pk), "name": link.name, "hidden": False} for link in paper.ordered_authors],
        "publishedAt": _midnight(paper.published),
        "submittedOnDailyAt": submission.submitted_at if submission else None,
        "title": paper.title,
        "submittedOnDailyBy": _user(submission),
        "summary": paper.abstract,
        "upvotes": paper.upvotes,
        "numComments": paper.num_comments,
        **_links(paper),
        "organization": _organization(paper.organization),
    }


def daily_entry(paper):
    submission = getattr(paper, "submission", None)
    return {
        "paper": flat_paper(paper),
        "publishedAt": submission.submitted_at if submission else None,
        "title": paper.title,
        "summary": paper.abstract,
        "numComments": paper.num_comments,
        "submittedBy": _user(submission),
        "organization": _organization(paper.organization),
        "upvotes": paper.upvotes,
        **_links(paper),
    }


def search_entry(hit):
    return daily_entry(hit.paper) | {
        "highlightedTitle": hit.highlighted_title,
        "highlightedSummary": hit.highlighted_summary,
    }


def _links(paper):
    return {
        "projectPage": paper.project_page or None,
        "githubRepo": paper.github_repo or None,
        "githubStars": paper.github_stars,
        "ai_keywords": list(paper.keywords) or None,
    }


def _user(submission):
    if submission is None or not submission.submitter_display:
        return None
    name = submission.submitter_display
    fullname = str(submission.submitter) if submission.submitter_id else name
    return {"user": name, "name": name, "fullname": fullname, "type": "user"}


def _organization(org):
    if org is None:
        return None
    avatar = org.avatar_url or None
    return {"_id": str(org.pk), "name": org.slug, "fullname": org.name, "avatar": avatar, "avatarUrl": avatar}


def _midnight(day):
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) if day else None
