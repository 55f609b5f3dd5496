"""Moderator actions on papers and comments, each written to the audit log (ModerationLog)."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dailypapers.papers import pagecache
from dailypapers.papers.models import Author, Paper, PaperAuthor
from dailypapers.papers.votes import refresh_pages

from .models import AuthorClaim, ModerationLog


def may_edit_links(user, paper):
    """Whether ``user`` may set the paper's organization, GitHub repository and project page: its
    submitter or staff."""
    submission = getattr(paper, "submission", None)
    return user.is_authenticated and (user.is_staff or (submission is not None and submission.submitter_id == user.pk))


def record(actor, action, target, note=""):
    """Add one audit-log row: ``actor`` did ``action`` to ``target`` (any model instance)."""
    return ModerationLog.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:255],
        note=note,
    )


def set_paper_hidden(paper, hidden, moderator, note=""):
    """Hide or unhide a paper (it leaves every feed and its page 404s); return whether it changed."""
    with transaction.atomic():
        changed = Paper.objects.filter(pk=paper.pk, hidden=not hidden).update(hidden=hidden) == 1
        if changed:
            paper.hidden = hidden
            refresh_pages([paper.pk])
            record(moderator, "hide_paper" if hidden else "unhide_paper", paper, note)
    return changed


def history(target):
    """The audit log of one object, newest first."""
    return ModerationLog.objects.filter(target_type=target._meta.label_lower, target_id=str(target.pk))


def approve_claim(claim, moderator, note=""):
    """Link the author entry to the claimant; other pending claims on that author are rejected.
    Refused (False) when another user already holds the author entry."""
    with transaction.atomic():
        linked = Author.objects.filter(pk=claim.author_id).filter(
            Q(user__isnull=True) | Q(user=claim.user_id)).update(user=claim.user_id)
        if not linked:
            return False
        # The author's papers now show a verified mark on every page that lists them.
        refresh_pages(PaperAuthor.objects.filter(author=claim.author_id).values_list("paper_id", flat=True))
        transaction.on_commit(lambda: pagecache.bump(f"author:{claim.author.slug}"))
        now = timezone.now()
        AuthorClaim.objects.filter(pk=claim.pk).update(status=AuthorClaim.APPROVED, decided_at=now,
                                                       decided_by=moderator)
        AuthorClaim.objects.filter(author=claim.author_id, status=AuthorClaim.PENDING).exclude(pk=claim.pk).update(
            status=AuthorClaim.REJECTED, decided_at=now, decided_by=moderator)
        record(moderator, "approve_claim", claim, note)
    return True


def reject_claim(claim, moderator, note=""):
    with transaction.atomic():
        changed = AuthorClaim.objects.filter(pk=claim.pk, status=AuthorClaim.PENDING).update(
            status=AuthorClaim.REJECTED, decided_at=timezone.now(), decided_by=moderator)
        if changed:
            record(moderator, "reject_claim", claim, note)
    return bool(changed)
