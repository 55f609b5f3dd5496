"""Changes to a whole account: deletion by its owner, suspension by a moderator, the data export.

Apps above accounts (community, digests) hold more of a user's data; they take part through the
signals below, so that accounts imports none of them.
"""

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from dailypapers.papers import votes
from dailypapers.papers.models import Submission, Upvote

# ``user``: sent inside the deletion's transaction, before the account's row goes.
deleting = Signal()
# ``user``, ``moderator``, ``note``: sent inside the change's transaction.
suspended = Signal()
unsuspended = Signal()
# ``user``: each receiver returns a dict of export sections (JSON-ready data) to add.
exporting = Signal()


def delete_account(user):
    """Delete the account and what is only theirs. Their votes leave the counts; their comments are
    emptied (replies by others stay in their thread); papers they submitted stay featured."""
    with transaction.atomic():
        user = votes.lock_user(user)
        if user.counts_votes:
            votes.shift_counts(user, -1)
        deleting.send(sender=delete_account, user=user)
        user.delete()


def suspend(user, moderator, reason=""):
    """Suspend: no log-in (is_active off), every session ended (so that lifting the suspension does not
    revive them), votes stop counting, an audit-log entry. Idempotent."""
    with transaction.atomic():
        user = votes.lock_user(user)
        if user.is_suspended:
            return False
        if user.counts_votes:
            votes.shift_counts(user, -1)
        user.suspended_at, user.suspension_reason, user.is_active = timezone.now(), reason[:255], False
        user.session_generation += 1
        user.save(update_fields=["suspended_at", "suspension_reason", "is_active", "session_generation"])
        suspended.send(sender=suspend, user=user, moderator=moderator, note=reason)
    return True


def unsuspend(user, moderator, note=""):
    with transaction.atomic():
        user = votes.lock_user(user)
        if not user.is_suspended:
            return False
        user.suspended_at, user.suspension_reason, user.is_active = None, "", True
        user.save(update_fields=["suspended_at", "suspension_reason", "is_active"])
        if user.counts_votes:
            votes.shift_counts(user, +1)
        unsuspended.send(sender=unsuspend, user=user, moderator=moderator, note=note)
    return True


def export(user):
    """Everything the site holds about the user, as JSON-ready data (the "download my data" file)."""
    data = {
        "account": _account(user),
        "upvotes": [{"paper": v.paper.arxiv_id, "at": v.created_at.isoformat()}
                    for v in Upvote.objects.filter(user=user).select_related("paper").order_by("created_at")],
        "submissions": [{"paper": s.paper.arxiv_id, "feed_day": s.feed_day.isoformat(),
                         "at": s.submitted_at.isoformat()}
                        for s in Submission.objects.filter(submitter=user).select_related("paper")],
    }
    for _receiver, sections in exporting.send(sender=export, user=user):
        data |= sections
    data["api_tokens"] = [{"name": t.name, "prefix": t.prefix, "created_at": t.created_at.isoformat(),
                           "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None}
                          for t in user.api_tokens.all()]
    return data


def _account(user):
    return {
        "username": user.username, "display_name": user.display_name, "email": user.email,
        "email_verified_at": user.email_verified_at.isoformat() if user.email_verified_at else None,
        "date_joined": user.date_joined.isoformat(),
        "notify_comments_on_submissions": user.notify_comments_on_submissions,
        "notify_thread_replies": user.notify_thread_replies,
    }
