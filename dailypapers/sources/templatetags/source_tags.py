"""The sources' part of the feed page, as a template tag so that papers need not import sources."""

from django import template

from dailypapers.sources.models import SourceState

register = template.Library()


@register.simple_tag
def backfill_status():
    """While the first sync of an empty site runs, its progress (shown instead of a blank list)."""
    state = SourceState.objects.filter(name="hf").first()
    if state is None:
        return {}
    progress = state.checkpoint.get("progress") or {}
    if state.running_since and progress:
        return {"progress": progress}
    return {"error": bool(state.last_error)}
