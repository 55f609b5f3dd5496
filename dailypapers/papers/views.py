"""Feed, paper, organization and author pages. Views orchestrate; querysets do the work."""

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, Min, Q, Sum
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from dailypapers.lib import arxiv_ids, calendar, periods, siteurl

from . import cards, pagecache, social
from .models import Author, Organization, Paper, PaperAuthor, Submission

SORTS = {"upvotes": "Most upvoted", "trending": "Trending", "newest": "Newest"}
DEFAULT_SORT = "upvotes"
# Social images change only when a title, author list or organization does (their file name changes too).
SOCIAL_IMAGE_MAX_AGE_S = 24 * 3600


def _sort(request, default=DEFAULT_SORT):
    sort = request.GET.get("sort", default)
    return sort if sort in SORTS else default


def _page(request, queryset, size=None):
    """The requested page of ``queryset``. A first page is read before counting: when it holds every row
    (as on nearly every day page), its length is the count and the COUNT query is saved."""
    size = size or settings.FEED_PAGE_SIZE
    number = request.GET.get("page")
    if number not in (None, "", "1"):
        return Paginator(queryset, size).get_page(number)
    rows = list(queryset[: size + 1])
    if len(rows) <= size:
        return Paginator(rows, size).get_page(1)
    return Page(rows[:size], 1, Paginator(queryset, size))  # more than a page: the count is queried if shown


def _card_page(request, papers):
    """The requested page of ``papers`` (an ordered queryset), read for cards."""
    page = _page(request, cards.rows(papers))
    page.object_list = cards.with_authors(page.object_list)
    return page


def _period_url(period):
    return reverse(f"papers:{period.kind}", args=[period.key])


def _latest_day(request):
    """The latest feed day with papers, read once per request (the cache key and the page both need it)."""
    if not hasattr(request, "latest_feed_day"):
        request.latest_feed_day = Submission.objects.day_before(calendar.current_feed_day(), inclusive=True)
    return request.latest_feed_day


def _latest_topics(request):
    if request.GET.get("q", "").strip() or request.GET.get("date"):
        return None
    day = _latest_day(request)
    return [f"day:{day.isoformat()}" if day else "latest:none"]


def _period_topics(request, kind, key):
    return [f"{kind}:{key}"]


@require_safe
@pagecache.cache_page(_latest_topics)
def latest(request):
    """``/`` and ``/papers``: the latest feed day that has papers (a date picker value redirects). With a
    query they are the search page: the search app answers them first (search/urls.py)."""
    if picked := request.GET.get("date"):
        try:
            return redirect(_period_url(periods.parse_day(picked)))
        except periods.BadPeriod:
            pass
    return _feed(request, periods.day(_latest_day(request) or calendar.current_feed_day()), is_latest=True)


@require_safe
@pagecache.cache_page(_latest_topics)
def trending(request):
    """``/papers/trending`` (an address huggingface.co readers bookmark): the latest feed day, trending
    first unless another sort is asked for."""
    period = periods.day(_latest_day(request) or calendar.current_feed_day())
    return _feed(request, period, is_latest=True, default_sort="trending")


@require_safe
@pagecache.cache_page(_period_topics)
def period_feed(request, kind, key):
    try:
        period = periods.PARSERS[kind](key)
    except periods.OutOfRange:
        raise Http404(f"no {kind} {key}") from None  # well formed, but no list can be there
    except periods.BadPeriod as exc:
        return render(request, "papers/bad_period.html", {"message": str(exc), "kind": kind}, status=400)
    return _feed(request, period)


def _feed(request, period, is_latest=False, default_sort=DEFAULT_SORT):
    sort = _sort(request, default_sort)
    reference = min(timezone.now(), period.end_datetime())
    papers = Paper.objects.featured_between(period.first, period.last).ranked(sort, reference)
    page = _card_page(request, papers)
    context = {
        "period": period,
        "page": page,
        "papers": page.object_list,
        "sort": sort,
        "sorts": SORTS,
        "is_latest": is_latest,
        "nav": _navigation(period),
        **({} if page.paginator.count else _empty_period(period)),
        "canonical_url": siteurl.absolute(_period_url(period)),
    }
    return render(request, "papers/feed.html", context)


def _navigation(period):
    """Previous/next links: for a day, the nearest days that have papers; else adjacent periods."""
    today = calendar.current_feed_day()
    if period.kind == "day":
        prev_day, next_day = Submission.objects.neighbour_days(period.first, until=today)
        prev = periods.day(prev_day) if prev_day else None
        nxt = periods.day(next_day) if next_day else None
    else:
        prev, nxt = _shifted(period, -1), _shifted(period, 1)
        nxt = nxt if nxt and nxt.first <= today else None
    return {
        "prev": {"url": _period_url(prev), "label": prev.label} if prev else None,
        "next": {"url": _period_url(nxt), "label": nxt.label} if nxt else None,
        "day": _period_url(periods.day(period.first)) if period.kind != "day" else None,
        "week": _period_url(periods.week_of(period.first)),
        "month": _period_url(periods.month_of(period.first)),
    }


def _shifted(period, steps):
    try:
        return period.shifted(steps)
    except periods.OutOfRange:  # the first or last supported period has no neighbour there
        return None


def _empty_period(period):
    """For an empty period: the nearest feed day with papers (earlier wins a tie), and why it is empty
    when the calendar can tell: it is still to come, or it lies before this site's first papers."""
    before = Submission.objects.day_before(period.first)
    after = Submission.objects.day_after(period.last)
    reason = None
    if period.first > calendar.current_feed_day():
        reason = "future"
    elif after is not None and before is None:
        reason = "before_first"
    candidates = [d for d in (before, after) if d]
    if not candidates:
        return {"nearest": None, "empty_reason": reason}
    best = min(candidates, key=lambda d: (abs((d - period.first).days), d > period.first))
    return {"nearest": {"url": _period_url(periods.day(best)), "label": periods.day(best).label},
            "empty_reason": reason}


@require_safe
@pagecache.cache_page(lambda request, arxiv_id: [f"paper:{arxiv_id}"])
def paper_detail(request, arxiv_id):
    try:
        canonical, _version = arxiv_ids.parse(arxiv_id)
    except arxiv_ids.InvalidArxivId:
        return _paper_not_found(request, arxiv_id, valid=False)
    if canonical != arxiv_id:
        return redirect("papers:detail", arxiv_id=canonical, permanent=True)
    paper = Paper.objects.visible().for_cards().filter(arxiv_id=canonical).first()
    if paper is None:
        return _paper_not_found(request, canonical, valid=True)
    context = {
        "paper": paper,
        "authors": paper.ordered_authors,
        "versions": list(paper.versions.all()),
        "submission": getattr(paper, "submission", None),
    }
    return render(request, "papers/detail.html", context)


def _paper_not_found(request, arxiv_id, valid):
    context = {
        "arxiv_id": arxiv_id,
        "valid": valid,
        "abs_url": arxiv_ids.abs_url(arxiv_id) if valid else None,
    }
    return render(request, "papers/not_found.html", context, status=404)


@require_safe
@pagecache.cache_page(lambda request: ["orgs"])
def organization_list(request):
    orgs = Organization.objects.annotate(
        paper_count=Count("papers", filter=Q(papers__hidden=False))
    ).filter(paper_count__gt=0).order_by("-paper_count", "name")
    page = _page(request, orgs, size=100)
    return render(request, "papers/organization_list.html", {"page": page, "organizations": page.object_list})


@require_safe
@pagecache.cache_page(lambda request, slug: [f"org:{slug}"])
def organization_detail(request, slug):
    org = get_object_or_404(Organization, slug=slug)
    return _paper_list_page(request, "papers/organization_detail.html", {"organization": org},
                            Paper.objects.filter(organization=org))


@require_safe
@pagecache.cache_page(lambda request, slug: [f"author:{slug}"])
def author_detail(request, slug):
    author = get_object_or_404(Author, slug=slug)
    return _paper_list_page(request, "papers/author_detail.html", {"author": author},
                            # Two co-authors of one paper may share an author entry: count the paper once.
                            Paper.objects.filter(pk__in=PaperAuthor.objects.filter(author=author).values("paper")))


def _paper_list_page(request, template, context, papers):
    """An organization's or author's papers, newest first, with counts."""
    papers = papers.visible()
    totals = papers.aggregate(upvotes=Sum("hf_upvotes") + Sum("local_upvotes"), first=Min("published"))
    page = _card_page(request, papers.order_by("-published", "-arxiv_id"))
    context |= {"page": page, "papers": page.object_list, "totals": totals}
    return render(request, template, context)


@require_safe
def paper_social_image(request, arxiv_id):
    """The paper's OpenGraph / Twitter card image (``social.py``), cached on disk and by clients."""
    try:
        canonical, _version = arxiv_ids.parse(arxiv_id)
    except arxiv_ids.InvalidArxivId:
        raise Http404("not an arXiv id") from None
    if canonical != arxiv_id:
        return redirect("papers:social-image", arxiv_id=canonical, permanent=True)
    paper = get_object_or_404(Paper.objects.visible().for_cards(), arxiv_id=canonical)
    response = FileResponse(social.image_path(paper).open("rb"), content_type="image/png")
    response["Cache-Control"] = f"public, max-age={SOCIAL_IMAGE_MAX_AGE_S}"
    return response
