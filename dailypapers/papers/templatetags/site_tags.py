"""``{% social_meta %}``: the OpenGraph and Twitter card tags of every page, from what the view shows."""

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse
from django.utils.text import Truncator

from dailypapers.lib import siteurl

register = template.Library()

SITE_DESCRIPTION = "The day's research papers, ranked by the community: upvotes, discussion and search."
DESCRIPTION_CHARS = 200


@register.inclusion_tag("_social_meta.html", takes_context=True)
def social_meta(context):
    request = context.get("request")
    paper = context.get("paper")
    meta = _paper_meta(paper) if _is_paper_page(request, paper) else _page_meta(context)
    return {
        "site_name": settings.SITE_NAME,
        "url": siteurl.absolute(request.path if request else "/"),
        "image": siteurl.absolute(meta.pop("image_path", None) or static("dailypapers/icons/icon-512.png")),
        **meta,
    }


def _is_paper_page(request, paper):
    return paper is not None and getattr(getattr(request, "resolver_match", None), "url_name", "") == "detail"


def _paper_meta(paper):
    return {
        "title": paper.title,
        "description": Truncator(" ".join(paper.abstract.split())).chars(DESCRIPTION_CHARS),
        "type": "article",
        "card": "summary_large_image",
        "image_path": reverse("papers:social-image", args=[paper.arxiv_id]),
        "image_alt": f"{paper.title}: title card",
    }


def _page_meta(context):
    """Feed, organization and author pages name what they list; anything else is the site itself."""
    period, org, author = context.get("period"), context.get("organization"), context.get("author")
    if period is not None and hasattr(period, "label"):
        title = f"Daily Papers · {period.label}"
    elif org is not None and hasattr(org, "name"):
        title = f"{org.name} · papers"
    elif author is not None and hasattr(author, "name"):
        title = f"{author.name} · papers"
    else:
        title = settings.SITE_NAME
    return {"title": title, "description": SITE_DESCRIPTION, "type": "website", "card": "summary",
            "image_alt": f"{settings.SITE_NAME} logo"}

