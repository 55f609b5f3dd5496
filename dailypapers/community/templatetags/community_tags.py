"""Template helpers for the community parts of paper pages: comment threads, saves, link edits."""

from django import template
from django.db.models import Count, Q

from dailypapers.community import comments, moderation
from dailypapers.community.models import Collection, CollectionItem

register = template.Library()


@register.simple_tag(takes_context=True)
def comment_thread(context, paper):
    """The paper's comments as the viewer may see them (see comments.thread)."""
    return comments.thread(paper, context["request"].user)


@register.simple_tag(takes_context=True)
def save_state(context, paper):
    """The viewer's collections, with ``saved`` marking those that hold ``paper`` (two queries)."""
    user = context["request"].user
    if not user.is_authenticated:
        return {"collections": [], "saved": []}
    owned = list(Collection.objects.filter(owner=user))
    holding = set(CollectionItem.objects.filter(collection__owner=user, paper=paper)
                  .values_list("collection_id", flat=True))
    return {"collections": owned, "saved": [c for c in owned if c.pk in holding]}


@register.simple_tag(takes_context=True)
def can_edit_links(context, paper):
    return moderation.may_edit_links(context["request"].user, paper)


@register.simple_tag
def profile_collections(person, viewer):
    """The collections a profile lists: all of them to their owner, the public ones to anyone else."""
    collections = Collection.objects.filter(owner=person)
    if viewer != person:
        collections = collections.filter(is_public=True)
    return collections.annotate(size=Count("items", filter=Q(items__paper__hidden=False))).order_by(
        "-is_reading_list", "name")
