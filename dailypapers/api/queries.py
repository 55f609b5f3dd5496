"""The reads the API makes, as querysets; endpoints only parse parameters and serialize rows."""

import datetime as dt

from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from dailypapers.community import collections as paper_collections
from dailypapers.community.models import Collection
from dailypapers.lib import arxiv_ids, periods, ranking
from dailypapers.papers.models import Author, Organization, Paper, PaperAuthor, Submission, category_filter

from .errors import ApiError

# Papers with no date sort after every dated one (and keep a non-null key for cursors).
NO_DATE = dt.date(1, 1, 1)


def visible_paper(text):
    """The visible paper an id (any version, or an arXiv URL) names, ready for cards; ApiError(404) otherwise."""
    return paper(text, Paper.objects.visible().for_cards())


def paper(text, papers=None):
    """The paper of ``papers`` (default: the visible ones) that ``text`` names; ApiError(404) otherwise."""
    try:
        arxiv_id = arxiv_ids.normalize(text)
    except arxiv_ids.InvalidArxivId:
        raise ApiError(404, "not_found", f"not an arXiv id: {text[:80]!r}") from None
    found = (Paper.objects.visible() if papers is None else papers).filter(arxiv_id=arxiv_id).first()
    if found is None:
        raise ApiError(404, "not_found", f"paper {arxiv_id} not found")
    return found


# The periods a request may name, as the schema says them: years within the calendar's supported days
# (lib.calendar.FIRST_DAY..LAST_DAY, 1990 to 2999), months 01-12, ISO weeks 01-53 and days that exist
# (the date field also carries OpenAPI's ``format: date``). Within them nothing is refused.
YEAR = r"(199\d|2\d{3})"
DAY_PATTERN = rf"^{YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
WEEK_PATTERN = rf"^{YEAR}-W(0[1-9]|[1-4]\d|5[0-3])$"
MONTH_PATTERN = rf"^{YEAR}-(0[1-9]|1[0-2])$"
DATE_FORMAT = {"format": "date"}


def one_period(day=None, week=None, month=None):
    """The single period asked for by ``day``/``week``/``month`` (None when none); 400 on junk or two."""
    given = [(kind, key) for kind, key in (("day", day), ("week", week), ("month", month)) if key is not None]
    if len(given) > 1:
        raise ApiError(400, "invalid_request", "give at most one of date, week and month")
    if not given:
        return None
    kind, key = given[0]
    try:
        period = periods.PARSERS[kind](key)
        period.end_datetime()  # the calendar's far ends have no closing instant a datetime can hold
    except periods.BadPeriod as exc:
        if kind == "week" and key.endswith("-W53") and key[:4].isdigit():
            return _no_days(int(key[:4]))
        raise ApiError(400, "invalid_request", str(exc)) from None
    except (ValueError, OverflowError):
        raise ApiError(400, "invalid_request", f"{kind} {key!r} is outside the supported range of dates") from None
    return period


def _no_days(year):
    """ISO week 53 of a year that has only 52: a period holding no day, so nothing was featured in it."""
    first = dt.date.fromisocalendar(year + 1, 1, 1)
    return periods.Period("week", first, first - dt.timedelta(days=1))


def submitted_by(name):
    return Q(submission__submitter_name=name) | Q(submission__submitter__username=name)


def featured(period=None, submitter=None):
    """Visible papers featured on a feed day (in ``period`` when given), ready for cards."""
    papers = Paper.objects.visible().filter(submission__isnull=False)
    if period is not None:
        papers = papers.featured_between(period.first, period.last)
    if submitter:
        papers = papers.filter(submitted_by(submitter))
    return papers.for_cards()


def trending_reference(period=None):
    """Trending on a past period means "as that period closed", like the feed pages."""
    now = timezone.now()
    return min(now, period.end_datetime()) if period else now


def papers(period=None, category=None, organization=None, author=None, submitter=None):
    """Visible papers matching every filter given, ready for cards."""
    found = Paper.objects.visible()
    if period is not None:
        found = found.featured_between(period.first, period.last)
    if category:
        found = found.filter(category_filter(category))
    if organization:
        found = found.filter(organization__slug=organization)
    if author:
        found = found.filter(pk__in=PaperAuthor.objects.filter(author__slug=author).values("paper"))
    if submitter:
        found = found.filter(submitted_by(submitter))
    return found.for_cards()


# Keyset orders for /api/v1/papers: descending on these annotations, the primary key breaking ties.
PAPER_SORT_KEYS = {
    "newest": ("published_key", "id"),
    "upvotes": ("total_upvotes", "id"),
    "trending": ("trending", "id"),
}


def with_sort_keys(queryset, sort, reference_ts):
    """Annotate the keys ``PAPER_SORT_KEYS[sort]`` orders on. Never-featured papers trend as if
    featured in 1970, which ranks them after every featured paper."""
    queryset = queryset.annotate(total_upvotes=F("hf_upvotes") + F("local_upvotes"))
    if sort == "newest":
        return queryset.annotate(published_key=Coalesce("published", Value(NO_DATE)))
    if sort == "trending":
        queryset = queryset.annotate(featured_key=Coalesce("submission__featured_ts", Value(0)))
        # The expression computes in double precision on both databases, so the score a page returned
        # compares equal to itself when the cursor brings it back.
        return queryset.annotate(trending=ranking.trending_expression("total_upvotes", "featured_key", reference_ts))
    return queryset


def feed_days():
    """Feed days with their number of visible papers, as rows with ``feed_day`` and ``papers``."""
    return (Submission.objects.filter(paper__hidden=False).values("feed_day")
            .annotate(papers=Count("id")).order_by())


def organizations():
    return Organization.objects.annotate(paper_count=Count("papers", filter=Q(papers__hidden=False))).filter(
        paper_count__gt=0
    )


def organization(slug):
    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        raise ApiError(404, "not_found", f"organization {slug!r} not found")
    return org, _totals(Paper.objects.visible().filter(organization=org))


def author(slug):
    found = Author.objects.filter(slug=slug).first()
    if found is None:
        raise ApiError(404, "not_found", f"author {slug!r} not found")
    # Two co-authors of one paper may share an author entry: count the paper once.
    authored = Paper.objects.visible().filter(pk__in=PaperAuthor.objects.filter(author=found).values("paper"))
    return found, _totals(authored)


def _totals(queryset):
    totals = queryset.aggregate(papers=Count("id"), hf=Sum("hf_upvotes"), local=Sum("local_upvotes"))
    return {"papers": totals["papers"], "upvotes": (totals["hf"] or 0) + (totals["local"] or 0)}


def public_collections(owner=None):
    """Public collections with their number of visible papers (``size``)."""
    found = Collection.objects.filter(is_public=True).select_related("owner").annotate(
        size=Count("items", filter=Q(items__paper__hidden=False))
    )
    return found.filter(owner__username=owner) if owner else found


def public_collection(username, slug):
    """A public collection; a private one is as unknown as a missing one (its existence is private too)."""
    found = public_collections().filter(owner__username=username, slug=slug).first()
    if found is None:
        raise ApiError(404, "not_found", f"no public collection {username}/{slug}")
    return found


def collection_entries(collection):
    """The collection's visible papers as items with ``added_at`` and ``paper`` (for cards)."""
    return paper_collections.items(collection)
