"""Template helpers for the community parts of paper pages: comment threads, the viewer's votes."""

from django import template

from dailypapers.papers import comments, votes
from dailypapers.papers.models import Collection, CollectionItem

register = template.Library()


@register.simple_tag(takes_context=True)
def has_voted(context, paper):
    """Whether the viewer upvoted ``paper``. The first call on a page looks up every paper of the page
    (``papers`` in the context) at once, so a feed costs one query, not one a card."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    cache = getattr(request, "_voted_ids", None)
    if cache is None or paper.pk not in cache[0]:
        ids = {paper.pk} | {p.pk for p in (context.get("papers") or [])}
        cache = (ids, votes.voted_ids(user, ids))
        request._voted_ids = cache
    return paper.pk in cache[1]


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
    user = context["request"].user
    submission = getattr(paper, "submission", None)
    return user.is_authenticated and (user.is_staff or (submission is not None and submission.submitter_id == user.pk))
