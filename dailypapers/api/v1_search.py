"""``GET /api/v1/search``: the search page as JSON (paged with offset/limit, same filters and sorts).

A ninja Router attached to the project's one NinjaAPI (``api.py``) at ``/v1/search``. Papers are
serialized as ``/api/v1`` serializes them everywhere (``PaperOut``).
"""

import datetime as dt
import re
from typing import Annotated, Literal

from ninja import Field, Query, Router, Schema
from pydantic import BaseModel, BeforeValidator, ConfigDict

from dailypapers.search.api import Filters, search

from .v1 import paper_out
from .v1_schemas import ErrorOut, PaperOut

router = Router(tags=["search"])
MAX_OFFSET = 100_000  # deeper than any person pages; keeps a request's keyword read bounded


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Segment(_Out):
    type: Literal["text", "highlight"]
    text: str


class SearchHitOut(_Out):
    paper: PaperOut
    score: float = Field(description="Reciprocal-rank-fusion score (relevance sort)")
    matched: list[Literal["keyword", "semantic"]] = Field(description="Which half found it")
    highlighted_title: list[Segment]
    highlighted_summary: list[Segment]
    snippet: str = Field(description="A window of the abstract around the first matched word")


class SearchPage(_Out):
    query: str
    total: int = Field(description="Every match")
    offset: int
    limit: int
    sort: str
    items: list[SearchHitOut]
    next_offset: int | None = Field(description="Pass as `offset` for the next page; null on the last page")


def _iso_day(value):
    """Only YYYY-MM-DD: pydantic alone would read "0" as a Unix timestamp."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value


IsoDay = Annotated[dt.date, BeforeValidator(_iso_day)]


class SearchParams(Schema):
    q: str = Field("", max_length=10_000, description='Words, "phrases", -exclusions, OR, author:, cat:, org:')
    sort: Literal["relevance", "newest", "upvotes"] = "relevance"
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    limit: int = Field(20, ge=1, le=100)
    date_from: IsoDay | None = Field(None, alias="from", description="YYYY-MM-DD")
    date_to: IsoDay | None = Field(None, alias="to", description="YYYY-MM-DD")
    date: Literal["published", "featured"] = Field("published", description="Which date from/to filter")
    cat: str = Field("", max_length=40, description="arXiv category, e.g. cs.CL")
    org: str = Field("", max_length=200, description="Organization slug")
    code: bool = Field(False, description="Only papers with a code repository")


# 401/403: a request carrying a forged token or a disabled account's is refused on every /api/v1 route.
@router.get("", response={200: SearchPage, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 429: ErrorOut})
def search_papers(request, params: Query[SearchParams]):
    """Hybrid keyword + semantic search over every paper, paged without a cap."""
    filters = Filters(date_from=params.date_from, date_to=params.date_to, date_field=params.date,
                      category=params.cat, organization=params.org, has_code=params.code)
    results = search(params.q, filters=filters, sort=params.sort, offset=params.offset, limit=params.limit,
                     all_authors=True)
    end = params.offset + len(results.hits)
    return {
        "query": params.q, "total": results.total, "offset": params.offset, "limit": params.limit,
        "sort": results.sort, "items": [_hit(request, hit) for hit in results.hits],
        "next_offset": end if results.hits and end < results.reachable else None,
    }


def _hit(request, hit):
    return {
        "paper": paper_out(request, hit.paper), "score": hit.score, "matched": sorted(hit.matched),
        "highlighted_title": hit.highlighted_title, "highlighted_summary": hit.highlighted_summary,
        "snippet": hit.snippet,
    }
