"""Hugging Face's paper API shapes (``../shared/fixtures/hf_api/``), as strict pydantic models.

Extra keys are refused, so a serializer that drifts from the documented shape fails loudly in tests.
Where we hold nothing for a key the key is left out, as Hugging Face itself leaves out what it does
not have (it never sends null). Differences from the recorded answers are listed in docs/api.md.
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


class HfUser(Strict):
    """A Hugging Face user object. The listing's ``submittedBy`` names the user in ``name``; the paper's
    ``submittedOnDailyBy`` and an author's ``user`` in ``user`` (which ``huggingface_hub`` reads)."""

    oid: str | None = Field(None, alias="_id")
    id: str | None = Field(None, description="The same id, as HF's 2024 objects named it")
    avatarUrl: str | None = None
    fullname: str
    name: str | None = None
    user: str | None = None
    type: Literal["user"] = "user"
    isPro: bool | None = None
    isHf: bool | None = None
    isHfAdmin: bool | None = None
    isMod: bool | None = None
    followerCount: int | None = None
    isUserFollowing: bool | None = None


class HfAuthor(Strict):
    id: str = Field(alias="_id")
    user: HfUser | None = Field(None, description="The Hugging Face user who claimed this byline")
    name: str
    status: str | None = Field(None, description="Claim status, e.g. claimed_verified")
    statusLastChangedAt: str | None = None
    hidden: bool


class HfOrganization(Strict):
    id: str = Field(alias="_id")
    name: str = Field(description="Hugging Face's handle (our slug where HF sent none)")
    fullname: str
    avatar: str | None = None


class HfSubmitterOrganization(Strict):
    """The listing's ``submitterOrganization``: the keys Hugging Face sent, as sent."""

    id: str | None = Field(None, alias="_id")
    name: str
    fullname: str | None = None
    avatar: str | None = None


class HfPaper(Strict):
    """The ``paper`` object of daily and search items."""

    id: str
    authors: list[HfAuthor]
    publishedAt: HfDatetime | None = Field(None, description="HF's paper time (arXiv v1 date where none was sent)")
    submittedOnDailyAt: HfDatetime | None = None
    title: str
    submittedOnDailyBy: HfUser | None = None
    summary: str
    upvotes: int
    discussionId: str | None = None
    projectPage: str | None = None
    githubRepo: str | None = None
    githubRepoAddedBy: str | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] | None = None
    ai_summary_model: str | None = None
    githubStars: int | None = None
    organization: HfOrganization | None = None
    mediaUrls: list[str] | None = None


class HfPaperInfo(HfPaper):
    """``/api/papers/{id}``: the paper object flat, with its comment count."""

    numComments: int


class HfDailyEntry(Strict):
    """One item of ``/api/daily_papers``."""

    paper: HfPaper
    publishedAt: HfDatetime | None = Field(None, description="The paper's arXiv time (huggingface_hub: submitted_at)")
    title: str
    summary: str
    mediaUrls: list[str] | None = None
    thumbnail: str | None = None
    numComments: int
    submittedBy: HfUser | None = None
    submitterOrganization: HfSubmitterOrganization | None = Field(None, description="Whom the submitter acted for")
    organization: HfOrganization | None = None
    isAuthorParticipating: bool | None = None


class HfSpan(Strict):
    type: Literal["text", "highlight"]
    text: str


class HfSearchEntry(HfDailyEntry):
    """One item of ``/api/papers/search``."""

    upvoted: bool
    highlightedTitle: list[HfSpan]
    highlightedSummary: list[HfSpan]


class HfError(Strict):
    """Hugging Face's error body, which ``huggingface_hub`` puts into the exception it raises."""

    error: str


class HfRepos(Strict):
    """``/api/arxiv/{id}/repos``: Hub repositories citing the paper (none here), and its code."""

    models: list[dict]
    datasets: list[dict]
    spaces: list[dict]
    githubRepo: str | None = Field(None, description="Beyond HF's shape: the paper's code repository")
    githubStars: int | None = None
