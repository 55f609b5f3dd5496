"""Changes to a whole account: deletion by its owner, suspension by a moderator, the data export."""

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from dailypapers.digests.models import Subscription
from dailypapers.papers import comments, moderation, votes
from dailypapers.papers.models import AuthorClaim, Collection, InterestSeed, NotInterested, Submission, Upvote


def delete_account(user):
    """Delete the account and what is only theirs. Their votes leave the counts; their comments are
    emptied (replies by others stay in their thread); papers they submitted stay featured."""
    with transaction.atomic():
        user = votes.lock_user(user)
        if user.counts_votes:
            votes.shift_counts(user, -1)
        comments.erase_all_by(user)
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
        moderation.record(moderator, "suspend_user", user, note=reason)
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
        moderation.record(moderator, "unsuspend_user", user, note=note)
    return True


def export(user):
    """Everything the site holds about the user, as JSON-ready data (the "download my data" file)."""
    return {
        "account": _account(user),
        "upvotes": [{"paper": v.paper.arxiv_id, "at": v.created_at.isoformat()}
                    for v in Upvote.objects.filter(user=user).select_related("paper").order_by("created_at")],
        "submissions": [{"paper": s.paper.arxiv_id, "feed_day": s.feed_day.isoformat(),
                         "at": s.submitted_at.isoformat()}
                        for s in Submission.objects.filter(submitter=user).select_related("paper")],
        "comments": [_comment(c) for c in user.comments.select_related("paper", "parent").order_by("created_at")],
        "collections": [_collection(c) for c in Collection.objects.filter(owner=user).prefetch_related(
            "items__paper")],
        "author_claims": [{"author": c.author.name, "status": c.status, "at": c.created_at.isoformat()}
                          for c in AuthorClaim.objects.filter(user=user).select_related("author")],
        "not_interested": list(NotInterested.objects.filter(user=user).values_list("paper__arxiv_id", flat=True)),
        "interests": [{"kind": s.kind, "value": str(s.paper.arxiv_id if s.paper else s.author or s.category)}
                      for s in InterestSeed.objects.filter(user=user).select_related("paper", "author")],
        "digest_subscriptions": _digests(user),
        "api_tokens": [{"name": t.name, "prefix": t.prefix, "created_at": t.created_at.isoformat(),
                        "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None}
                       for t in user.api_tokens.all()],
    }


def digest_subscription(user):
    """The user's digest subscription (digests app), with the link to manage it; None if they have none."""
    subscription = Subscription.objects.filter(Q(user=user) | Q(email__iexact=user.email)).first()
    if subscription is None:
        return None
    subscription.manage_url = reverse("digests:manage", args=[subscription.link_token("manage")])
    return subscription


def _digests(user):
    subscription = digest_subscription(user)
    if subscription is None:
        return []
    return [{"email": subscription.email, "frequency": subscription.frequency, "status": subscription.status,
             "focus_categories": subscription.focus_categories, "focus_keywords": subscription.focus_keywords}]


def _account(user):
    return {
        "username": user.username, "display_name": user.display_name, "email": user.email,
        "email_verified_at": user.email_verified_at.isoformat() if user.email_verified_at else None,
        "date_joined": user.date_joined.isoformat(),
        "notify_comments_on_submissions": user.notify_comments_on_submissions,
        "notify_thread_replies": user.notify_thread_replies,
    }


def _comment(comment):
    return {"paper": comment.paper.arxiv_id, "id": comment.pk, "reply_to": comment.parent_id,
            "body": comment.body, "created_at": comment.created_at.isoformat(),
            "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
            "deleted": comment.deleted_at is not None, "hidden": comment.hidden}


def _collection(collection):
    return {"name": collection.name, "slug": collection.slug, "public": collection.is_public,
            "reading_list": collection.is_reading_list, "description": collection.description,
            "papers": [item.paper.arxiv_id for item in collection.items.all()]}
