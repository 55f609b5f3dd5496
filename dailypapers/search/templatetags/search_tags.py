"""Search's parts of other apps' pages: a template tag, so those apps need not import search."""

from django import template

from dailypapers.search.api import similar_papers as nearest

register = template.Library()


@register.simple_tag
def similar_papers(paper):
    """The papers nearest to ``paper`` by meaning, for its page."""
    return nearest(paper)
