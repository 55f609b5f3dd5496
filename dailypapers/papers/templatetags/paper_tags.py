"""Small presentation helpers for paper pages: compact counts, weekends, pagination links."""

from urllib.parse import urlencode

from django import template

register = template.Library()

# Query parameters a page link carries over; anything else in the URL is dropped.
KEPT_PARAMS = ("sort",)


@register.filter
def compact(value):
    """1234 -> "1.2k", 1_500_000 -> "1.5M": star counts the way GitHub shows them."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return ""
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if abs(number) >= size:
            scaled = number / size
            # One decimal below 100 (1.2k), none above (123k), and never a trailing ".0".
            text = f"{scaled:.1f}" if abs(scaled) < 100 else f"{scaled:.0f}"
            return text.removesuffix(".0") + suffix
    return str(number)


@register.filter
def is_weekend(value):
    """True for a Saturday or Sunday: arXiv announces nothing then, so empty days are expected."""
    return hasattr(value, "weekday") and value.weekday() >= 5


@register.simple_tag(takes_context=True)
def page_query(context, number):
    """``?sort=…&page=N`` for a pagination link, keeping the current sort (page 1 has no page=)."""
    params = {name: context[name] for name in KEPT_PARAMS if context.get(name)}
    if number != 1:
        params["page"] = number
    return f"?{urlencode(params)}" if params else "?"


@register.simple_tag
def elided_pages(page):
    """Page numbers around the current one, with ``…`` gaps, for long paginations."""
    return list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
