"""The community's part in account deletion, suspension and the data export (``accounts.lifecycle``)."""

from django.dispatch import receiver

from dailypapers.accounts import lifecycle

from . import comments, moderation
from .models import AuthorClaim, Collection, InterestSeed, NotInterested


@receiver(lifecycle.deleting)
def erase_comments(sender, user, **kwargs):
    # Emptied, not deleted: replies by others keep their thread.
    comments.erase_all_by(user)


@receiver(lifecycle.suspended)
def log_suspension(sender, user, moderator, note, **kwargs):
    moderation.record(moderator, "suspend_user", user, note=note)


@receiver(lifecycle.unsuspended)
def log_unsuspension(sender, user, moderator, note, **kwargs):
    moderation.record(moderator, "unsuspend_user", user, note=note)


@receiver(lifecycle.exporting)
def export(sender, user, **kwargs):
    return {
        "comments": [_comment(c) for c in user.comments.select_related("paper", "parent").order_by("created_at")],
        "collections": [_collection(c) for c in Collection.objects.filter(owner=user).prefetch_related(
            "items__paper")],
        "author_claims": [{"author": c.author.name, "status": c.status, "at": c.created_at.isoformat()}
                          for c in AuthorClaim.objects.filter(user=user).select_related("author")],
        "not_interested": list(NotInterested.objects.filter(user=user).values_list("paper__arxiv_id", flat=True)),
        "interests": [{"kind": s.kind, "value": str(s.paper.arxiv_id if s.paper else s.author or s.category)}
                      for s in InterestSeed.objects.filter(user=user).select_related("paper", "author")],
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
