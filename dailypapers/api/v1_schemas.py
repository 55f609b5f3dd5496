"""``/api/v1`` shapes: strict pydantic models (extra keys refused), snake_case, nulls spelled out."""

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(Out):
    code: str = Field(description="Machine-readable: invalid_request, invalid_cursor, not_found, rate_limited…")
    message: str


class ErrorOut(Out):
    error: ErrorBody


class AuthorRef(Out):
    name: str = Field(description="As this paper spells it")
    slug: str
    url: str


class OrganizationRef(Out):
    slug: str
    name: str
    avatar_url: str | None
    url: str


class Featured(Out):
    day: dt.date = Field(description="The feed day the paper was featured on")
    submitted_at: dt.datetime
    submitter: str | None


class PaperUrls(Out):
    page: str
    markdown: str
    api: str
    abs: str
    pdf: str
    html: str


class PaperOut(Out):
    id: str = Field(description="Versionless arXiv id")
    version: int
    title: str
    abstract: str
    authors: list[AuthorRef]
    published: dt.date | None = Field(description="Date of v1")
    updated: dt.date | None = Field(description="Date of the current version")
    categories: list[str] = Field(description="arXiv categories, primary first")
    comment: str | None
    journal_ref: str | None
    doi: str | None
    github_repo: str | None
    github_stars: int | None
    project_page: str | None
    organization: OrganizationRef | None
    keywords: list[str]
    withdrawn: bool
    upvotes: int
    num_comments: int
    featured: Featured | None
    urls: PaperUrls


class VersionOut(Out):
    version: int
    announced: dt.date | None


class PaperDetailOut(PaperOut):
    versions: list[VersionOut]


class PaperPage(Out):
    items: list[PaperOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class DayOut(Out):
    date: dt.date
    papers: int
    url: str = Field(description="This day's papers in /api/v1")
    page: str = Field(description="This day's page on the site")


class DayPage(Out):
    items: list[DayOut]
    next_cursor: str | None


class OrganizationOut(Out):
    slug: str
    name: str
    avatar_url: str | None
    url: str
    papers_url: str
    paper_count: int


class OrganizationDetailOut(OrganizationOut):
    upvotes: int


class OrganizationPage(Out):
    items: list[OrganizationOut]
    next_cursor: str | None


class AuthorOut(Out):
    slug: str
    name: str
    url: str
    papers_url: str
    paper_count: int
    upvotes: int


class CollectionOut(Out):
    owner: str = Field(description="User name")
    slug: str
    name: str
    description: str
    paper_count: int
    updated_at: dt.datetime
    url: str = Field(description="The collection's page on the site")
    api_url: str
    feed_url: str = Field(description="Its RSS feed (Atom: the same with .atom)")


class CollectionPage(Out):
    items: list[CollectionOut]
    next_cursor: str | None


class CollectionEntryOut(Out):
    added_at: dt.datetime
    paper: PaperOut


class CollectionDetailOut(CollectionOut):
    entries: list[CollectionEntryOut] = Field(description="Newest addition first, in pages of `limit`")
    next_cursor: str | None
