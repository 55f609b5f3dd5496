"""``/api/v1`` writes with a personal API token (upvote, submit, comment, save) and a paper's comments.

Each write goes through the function and the checks the web's form goes through, so it validates,
moderates and invalidates cached pages the same way. Only the ``Authorization: Bearer`` header is read
(``api/auth.py``), never a session cookie, so these routes need no CSRF token.
"""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from ninja import Field, Query, Router
from ninja.responses import Status

from dailypapers.accounts import limits
from dailypapers.community import collections, comments
from dailypapers.community.models import Collection, Comment
from dailypapers.lib import siteurl
from dailypapers.papers import votes
from dailypapers.papers.models import Paper

from . import queries, submissions
from .auth import TokenAuth
from .errors import ApiError
from .v1 import SLUG, Params, paper_out
from .v1_schemas import (
    CommentIn,
    CommentList,
    CommentOut,
    ErrorOut,
    PaperOut,
    SaveOut,
    SubmissionIn,
    VoteOut,
)

router = Router(tags=["v1 writes"])
BEARER = TokenAuth()
READING_LIST_SLUG = "reading-list"


def answers(ok, *errors):
    """The responses of a write: ``ok`` (``{status: schema}``) and the errors it may answer."""
    # Every write: 400 (a parameter or body fails its schema), 401 (no live token), 403 (account
    # disabled), 404 (no such paper), 413 (body over the cap), 429 (token bucket or action limit).
    return {**ok, **dict.fromkeys((400, 401, 403, 404, 413, 429, *errors), ErrorOut)}


class SaveParams(Params):
    collection: str | None = Field(None, pattern=SLUG, max_length=120,
                                   description="Slug of one of your collections; default: your reading list")


# -- upvotes -------------------------------------------------------------------------------------------
@router.post("/papers/{path:arxiv_id}/upvote", auth=BEARER, response=answers({200: VoteOut}))
def upvote(request, arxiv_id: str):
    """Upvote a paper (idempotent). Your vote counts in `upvotes` once your email is confirmed."""
    return _vote(request, arxiv_id, up=True)


@router.delete("/papers/{path:arxiv_id}/upvote", auth=BEARER, response=answers({200: VoteOut}))
def unvote(request, arxiv_id: str):
    """Take your upvote back (idempotent)."""
    return _vote(request, arxiv_id, up=False)


def _vote(request, arxiv_id, up):
    paper = queries.paper(arxiv_id)
    within_limit(request, "vote")
    votes.set_vote(request.user, paper, up)
    paper.refresh_from_db(fields=["local_upvotes"])
    return {"paper": paper.arxiv_id, "voted": up, "upvotes": paper.upvotes, "counted": request.user.counts_votes}


# -- submissions ---------------------------------------------------------------------------------------
@router.post("/submissions", auth=BEARER, response=answers({201: PaperOut}, 409, 503))
def create_submission(request, body: SubmissionIn):
    """Feature a paper on today's list, submitted by you: the site's submit rules apply (recent papers
    only, a daily cap, not featured already; needs a confirmed email). Metadata comes from arXiv when
    the site does not have the paper yet."""
    require_verified(request.user)
    within_limit(request, "submit")
    done = submissions.feature(request.user, body.paper)
    return Status(201, paper_out(request, queries.visible_paper(done.paper.arxiv_id)))


# -- comments ------------------------------------------------------------------------------------------
@router.get("/papers/{path:arxiv_id}/comments", response={200: CommentList, 400: ErrorOut, 401: ErrorOut,
                                                          403: ErrorOut, 404: ErrorOut, 429: ErrorOut})
def list_comments(request, arxiv_id: str):
    """A paper's discussion as anyone sees it on the site: threads one level deep, oldest first."""
    paper = queries.paper(arxiv_id)
    # As an anonymous reader sees it, whoever asks: the answer is public and cached by ETag.
    threads = comments.thread(paper, AnonymousUser())
    return {"paper": paper.arxiv_id, "count": paper.local_comments,
            "items": [_comment(request, root, paper) | {"replies": [_comment(request, reply, paper)
                                                                    for reply in root.shown_replies]}
                      for root in threads]}


@router.post("/papers/{path:arxiv_id}/comments", auth=BEARER, response=answers({201: CommentOut}))
def create_comment(request, arxiv_id: str, body: CommentIn):
    """Comment on a paper, or reply with `parent` (needs a confirmed email). Markdown, as on the site."""
    paper = queries.paper(arxiv_id)
    require_verified(request.user)
    within_limit(request, "comment")
    parent = _parent(paper, body.parent)
    try:
        comment = comments.post(paper, request.user, body.body, parent, notify_by_email=True)
    except comments.CommentError as exc:
        raise ApiError(400, "invalid_comment", str(exc)) from None
    return Status(201, _comment(request, comment, paper))


def _parent(paper, parent_id):
    if parent_id is None:
        return None
    parent = Comment.objects.filter(pk=parent_id, paper=paper).first()
    if parent is None:
        raise ApiError(404, "not_found", f"paper {paper.arxiv_id} has no comment {parent_id}")
    return parent


def _comment(request, comment, paper):
    state = "deleted" if comment.deleted_at else "hidden" if comment.hidden else "visible"
    shown = state == "visible"
    return {
        "id": comment.pk,
        "parent": comment.parent_id,
        "state": state,
        "author": comment.author.username if shown and comment.author_id else None,
        "body": comment.body if shown else "",
        "body_html": str(comment.html) if shown else "",
        "created_at": comment.created_at,
        "edited_at": comment.edited_at,
        "url": siteurl.absolute(f"{paper.get_absolute_url()}#comment-{comment.pk}"),
    }


# -- collections ---------------------------------------------------------------------------------------
@router.put("/papers/{path:arxiv_id}/save", auth=BEARER, response=answers({200: SaveOut}))
def save_paper(request, arxiv_id: str, params: Query[SaveParams]):
    """Save a paper to your reading list, or to one of your collections (idempotent)."""
    paper = queries.paper(arxiv_id)
    within_limit(request, "save")
    collection = _own_collection(request.user, params.collection)
    added = collections.add(collection, paper)
    return _saved(request, paper, collection, saved=True, changed=added)


@router.delete("/papers/{path:arxiv_id}/save", auth=BEARER, response=answers({200: SaveOut}))
def unsave_paper(request, arxiv_id: str, params: Query[SaveParams]):
    """Remove a paper from your reading list or one of your collections (idempotent)."""
    paper = queries.paper(arxiv_id, Paper.objects.all())  # a hidden paper can still leave a collection
    collection = _own_collection(request.user, params.collection)
    removed = collections.remove(collection, paper)
    return _saved(request, paper, collection, saved=False, changed=removed)


def _own_collection(user, slug):
    # The reading list is made on first use, as the web makes it; its slug names it too.
    if slug in (None, READING_LIST_SLUG):
        return collections.reading_list(user)
    found = Collection.objects.filter(owner=user, slug=slug).first()
    if found is None:
        raise ApiError(404, "not_found", f"you have no collection {slug!r}")
    return found


def _saved(request, paper, collection, saved, changed):
    url = reverse("community:collection", args=[request.user.username, collection.slug])
    return {"paper": paper.arxiv_id, "saved": saved, "changed": changed, "collection": {
        "slug": collection.slug, "name": collection.name, "reading_list": collection.is_reading_list,
        "public": collection.is_public, "url": siteurl.absolute(url)}}


# -- the web's checks ----------------------------------------------------------------------------------
def require_verified(user):
    """Posting content needs a confirmed email, as on the site (spam costs a real mailbox)."""
    if not user.is_verified:
        raise ApiError(403, "email_unverified", "Confirm your email address first: we sent you a link when "
                                                "you signed up.")


def within_limit(request, bucket):
    """The site's per-action limit (per user and per address); 429 with its headers when over it."""
    if verdict := limits.check(request, bucket):
        raise ApiError(429, "rate_limited", f"Too many {bucket} requests: {verdict.limit} per "
                                            f"{settings.RATE_LIMITS[bucket][1]} s. Retry later.",
                       headers=verdict.headers())
