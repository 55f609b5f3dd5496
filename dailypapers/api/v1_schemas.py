"""``/api/v1`` shapes: strict pydantic models (extra keys refused), snake_case, nulls spelled out."""

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from dailypapers.community.models import COMMENT_MAX_CHARS


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(Out):
    code: str = Field(description="Machine-readable: invalid_request, invalid_cursor, not_found, rate_limited, "
                                  "unauthorized, account_disabled, email_unverified, already_featured…")
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


# -- writes --------------------------------------------------------------------------------------------
class In(BaseModel):
    """A request body: unknown keys and loose types (``"1"`` for 1, ``true`` for 1) are refused."""

    model_config = ConfigDict(extra="forbid", strict=True, regex_engine="python-re")


def _storable(text):
    """Text the database can hold: no NUL (PostgreSQL refuses it; the web forms refuse it too) and no
    lone surrogate, which JSON's ``\\ud800`` escapes can carry but UTF-8 cannot encode."""
    if "\x00" in text:
        raise ValueError("null characters are not allowed")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (a lone surrogate was sent)") from None
    return text


def _strip(value):
    # As the web forms do before they measure: surrounding whitespace does not count.
    return value.strip() if isinstance(value, str) else value


def _whole(value):
    # JSON has one number type: 5.0 is the integer 5 (JSON Schema agrees); 5.5, "5" and true are refused.
    return int(value) if isinstance(value, float) and value.is_integer() else value


StoredText = Annotated[str, AfterValidator(_storable)]


class SubmissionIn(In):
    paper: StoredText = Field(max_length=300, description="An arXiv id or link: 2501.01234, arXiv:2501.01234v2, "
                                                          "hep-th/9901001, https://arxiv.org/abs/2501.01234…")


class CommentIn(In):
    body: Annotated[StoredText, BeforeValidator(_strip)] = Field(
        min_length=1, max_length=COMMENT_MAX_CHARS, pattern=r"\S",
        description=f"Markdown (the site's safe subset: emphasis, code, lists, quotes, http(s) links; raw HTML "
                    f"shows as text). 1 to {COMMENT_MAX_CHARS} characters, surrounding whitespace not counted.")
    parent: Annotated[int, Field(ge=1, le=2**63 - 1), BeforeValidator(_whole)] | None = Field(
        None, description="Reply to this comment of the same paper (replies join its thread)")


class VoteOut(Out):
    paper: str = Field(description="Versionless arXiv id")
    voted: bool = Field(description="Whether you have upvoted the paper now")
    upvotes: int = Field(description="The paper's count now")
    counted: bool = Field(description="Whether your votes count in `upvotes`: once your email is confirmed")


class SavedCollectionOut(Out):
    slug: str
    name: str
    reading_list: bool
    public: bool
    url: str = Field(description="The collection's page on the site")


class SaveOut(Out):
    paper: str
    saved: bool = Field(description="Whether the paper is in the collection now")
    changed: bool = Field(description="False when it already was (PUT) or already was not (DELETE)")
    collection: SavedCollectionOut


class CommentOut(Out):
    id: int
    parent: int | None = Field(description="The thread's top comment, for a reply")
    state: Literal["visible", "deleted", "hidden"] = Field(
        description="deleted (by its author) and hidden (by a moderator) comments stay as placeholders, "
                    "without text, while replies hang from them")
    author: str | None = Field(description="User name; null for a deleted account or a placeholder")
    body: str = Field(description="The Markdown as written (empty for a placeholder)")
    body_html: str = Field(description="The same rendered as the site renders it: safe to insert as HTML")
    created_at: dt.datetime
    edited_at: dt.datetime | None
    url: str = Field(description="The comment on the paper's page")


class CommentThreadOut(CommentOut):
    replies: list[CommentOut]


class CommentList(Out):
    paper: str
    count: int = Field(description="Comments shown in full (placeholders not counted)")
    items: list[CommentThreadOut] = Field(description="Threads, oldest first; replies oldest first")
