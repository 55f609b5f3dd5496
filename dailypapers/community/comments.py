"""Comments: threads one level deep, edit/delete by the author, hide by staff, notification emails.

Paper.local_comments counts comments that are neither deleted nor hidden. Each change of that status
is a conditional UPDATE whose WHERE names the old status, so two moderators (or a moderator and the
author) acting at once move the counter once, and the count moves with F() in the same transaction.
"""

import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dailypapers.accounts import emails
from dailypapers.papers import pagecache, votes
from dailypapers.papers.models import Paper

from . import moderation
from .models import COMMENT_MAX_CHARS, Comment

log = logging.getLogger(__name__)


class CommentError(ValueError):
    """A refused comment action; the message is shown to the user."""


def _clean_body(body):
    body = (body or "").strip()
    if not body:
        raise CommentError("A comment cannot be empty.")
    if len(body) > COMMENT_MAX_CHARS:
        raise CommentError(f"A comment can be at most {COMMENT_MAX_CHARS} characters long.")
    return body


def _count(paper_id, delta):
    Paper.objects.filter(pk=paper_id).update(local_comments=F("local_comments") + delta)


def post(paper, author, body, parent=None, notify_by_email=False):
    """Add a comment (a reply when ``parent`` is given: replies attach to the thread's top comment)."""
    body = _clean_body(body)
    if parent is not None:
        if parent.paper_id != paper.pk or parent.hidden or parent.thread_root.hidden:
            raise CommentError("You cannot reply to that comment.")
        parent = parent.thread_root
    with transaction.atomic():
        comment = Comment.objects.create(paper=paper, author=author, body=body, parent=parent)
        _count(paper.pk, +1)
        votes.refresh_pages([paper.pk], search=False)
        if notify_by_email:
            transaction.on_commit(lambda: notify(comment))
    return comment


def edit(comment, user, body):
    if comment.author_id != user.pk or comment.deleted_at is not None:
        raise CommentError("You can only edit your own comments.")
    with transaction.atomic():
        comment.body, comment.edited_at = _clean_body(body), timezone.now()
        comment.save(update_fields=["body", "edited_at"])
        votes.refresh_pages([comment.paper_id], search=False)
    return comment


def delete(comment, user):
    """The author deletes a comment: its text goes; the row stays as a placeholder for its replies."""
    if comment.author_id != user.pk:
        raise CommentError("You can only delete your own comments.")
    return _erase(comment)


def _erase(comment):
    with transaction.atomic():
        alive = Comment.objects.filter(pk=comment.pk, deleted_at__isnull=True)
        now = timezone.now()
        erased = {"deleted_at": now, "body": "", "body_html": ""}
        if alive.filter(hidden=False).update(**erased) == 1:
            _count(comment.paper_id, -1)
        else:
            alive.update(**erased)
        votes.refresh_pages([comment.paper_id], search=False)
    return True


def erase_all_by(user):
    """For account deletion: empty every comment the user wrote."""
    for comment in Comment.objects.filter(author=user, deleted_at__isnull=True):
        _erase(comment)


def set_hidden(comment, hidden, moderator, note=""):
    """Staff hide or unhide a comment; return whether it changed. Logged in ModerationLog."""
    with transaction.atomic():
        rows = Comment.objects.filter(pk=comment.pk, hidden=not hidden)
        if rows.filter(deleted_at__isnull=True).update(hidden=hidden) == 1:
            _count(comment.paper_id, -1 if hidden else +1)
        elif rows.update(hidden=hidden) == 0:
            return False
        comment.hidden = hidden
        votes.refresh_pages([comment.paper_id], search=False)
        moderation.record(moderator, "hide_comment" if hidden else "unhide_comment", comment, note)
    return True


# -- reading -----------------------------------------------------------------------------------------
# What a thread needs of a comment and its author (the cached copy holds no more than it shows).
THREAD_FIELDS = ["id", "paper_id", "parent_id", "author_id", "body", "body_html", "html_version", "created_at",
                 "edited_at", "deleted_at", "hidden", "author__username", "author__display_name"]


def thread(paper, viewer):
    """Top-level comments in order, each with ``shown_replies``. Hidden comments show only to staff;
    a deleted or hidden comment that others replied to stays as a placeholder. One query, cached
    with the paper's pages (every comment write bumps the paper's topics)."""
    staff = viewer.is_authenticated and viewer.is_staff
    return pagecache.remembered(f"thread:{paper.pk}:{int(staff)}", [f"paper:{paper.arxiv_id}"],
                                lambda: _thread(paper, staff))


def _thread(paper, staff):
    rows = list(Comment.objects.filter(paper=paper).select_related("author").only(*THREAD_FIELDS))
    for comment in rows:
        comment.html  # noqa: B018 - re-renders (and stores) HTML an older renderer made, before caching
    replies = {}
    for comment in rows:
        if comment.parent_id:
            replies.setdefault(comment.parent_id, []).append(comment)
    roots = []
    for comment in rows:
        if comment.parent_id:
            continue
        comment.shown_replies = [r for r in replies.get(comment.pk, []) if _shows(r, staff)]
        if _shows(comment, staff) or comment.shown_replies:
            roots.append(comment)
    return roots


def _shows(comment, staff):
    return comment.deleted_at is None and (staff or not comment.hidden)


# -- notifications -----------------------------------------------------------------------------------
def recipients(comment):
    """``[(user, reason)]`` to email about a new comment: the paper's submitter, and for a reply the
    thread's participants — each only with a verified address, the preference on, and not the writer."""
    found = {}
    submission = getattr(comment.paper, "submission", None)
    if submission and submission.submitter and submission.submitter.notify_comments_on_submissions:
        found[submission.submitter.pk] = (submission.submitter, "submissions")
    if comment.parent_id:
        thread_rows = Comment.objects.filter(pk=comment.parent_id) | Comment.objects.filter(parent=comment.parent_id)
        for other in thread_rows.filter(author__isnull=False).select_related("author"):
            if other.author.notify_thread_replies:
                found.setdefault(other.author.pk, (other.author, "replies"))
    found.pop(comment.author_id, None)
    return [(user, reason) for user, reason in found.values() if user.is_verified and user.is_active and user.email]


def notify(comment):
    """Send the notification emails for a new comment; a failing mail server never fails the comment."""
    sent = 0
    for user, reason in recipients(comment):
        try:
            sent += emails.send_comment_notification(comment, user, reason)
        except OSError:
            log.exception("could not send the comment notification to user %s", user.pk)
    return sent
