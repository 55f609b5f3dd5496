"""Hugging Face's paper API shapes (``../shared/fixtures/hf_api/``), as strict pydantic models.

Extra keys are refused, so a serializer that drifts from the documented shape fails loudly in tests.
Where we hold nothing for a key (a thumbnail, a discussion id, a user's avatar) the key is left out,
as Hugging Face itself leaves out what it does not have. Beyond Hugging Face's shape, and so that
``huggingface_hub``'s ``PaperInfo`` keeps them (it reads these from the top level only):
``githubRepo``, ``githubStars``, ``projectPage``, ``ai_keywords`` and ``upvotes`` sit at the top
of daily and search items as well as inside ``paper``; ``numComments`` is in the flat paper
(``/api/papers/{id}``); organizations carry ``avatarUrl`` beside ``avatar`` and users ``user``
beside ``name``.
"""

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer


def hf_timestamp(value):
    """``2026-08-21T00:00:00.000Z``: milliseconds and ``Z``, exactly as Hugging Face writes times."""
    value = value.astimezone(dt.UTC)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}Z"


HfDatetime = Annotated[dt.datetime, PlainSerializer(hf_timestamp, return_type=str)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class HfAuthor(Strict):
    id: str = Field(alias="_id")
    name: str
    hidden: bool


class HfUser(Strict):
    user: str = Field(description="User name (Hugging Face's `submittedOnDailyBy` key; the client reads it)")
    name: str
    fullname: str
    type: Literal["user"] = "user"


class HfOrganization(Strict):
    id: str = Field(alias="_id")
    name: str = Field(description="URL slug")
    fullname: str
    avatar: str | None = None
    avatarUrl: str | None = None


class HfPaper(Strict):
    """``/api/papers/{id}``, and the ``paper`` object of daily and search items."""

    id: str
    authors: list[HfAuthor]
    publishedAt: HfDatetime | None = Field(None, description="arXiv v1 date (midnight UTC)")
    submittedOnDailyAt: HfDatetime | None = None
    title: str
    submittedOnDailyBy: HfUser | None = None
    summary: str
    upvotes: int
    numComments: int
    projectPage: str | None = None
    githubRepo: str | None = None
    githubStars: int | None = None
    ai_keywords: list[str] | None = None
    organization: HfOrganization | None = None


class HfDailyEntry(Strict):
    """One item of ``/api/daily_papers``."""

    paper: HfPaper
    publishedAt: HfDatetime | None = Field(None, description="When the paper was featured (submitted)")
    title: str
    summary: str
    numComments: int
    submittedBy: HfUser | None = None
    organization: HfOrganization | None = None
    upvotes: int
    projectPage: str | None = None
    githubRepo: str | None = None
    githubStars: int | None = None
    ai_keywords: list[str] | None = None


class HfSpan(Strict):
    type: Literal["text", "highlight"]
    text: str


class HfSearchEntry(HfDailyEntry):
    """One item of ``/api/papers/search``."""

    highlightedTitle: list[HfSpan]
    highlightedSummary: list[HfSpan]
