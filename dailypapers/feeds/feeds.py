"""RSS 2.0 and Atom feeds (Django's syndication framework) for the daily feed, trending, a search
query, a category, an organization, an author and a public collection. Every feed class serves both
formats: ``urls.py`` instantiates each with the feed type it answers in.

Feed readers render an item's description (RSS ``<description>``, Atom ``<summary type="html">``) as
HTML, so it is built with ``format_html``: a title or abstract full of ``<``, ``&`` and LaTeX arrives
as text, never as markup.
"""

import datetime as dt
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import format_html

from dailypapers.community import collections as paper_collections
from dailypapers.community.models import Collection
from dailypapers.lib import siteurl
from dailypapers.lib.text import clean_line, web_url
from dailypapers.papers.models import Author, Organization, Paper, PaperAuthor, category_filter
from dailypapers.search import api as search

MAX_QUERY_CHARS = 1000
DAILY_ITEMS = 100
TRENDING_ITEMS = 30
LIST_ITEMS = 50


class PaperFeed(Feed):
    """Items are papers loaded with ``for_cards`` (authors, organization and submission in 2 queries).

    Links and GUIDs are on the site's own address (``lib.siteurl``), never the request's Host
    header; titles and descriptions are one clean line (a control character in a URL, such as a
    category ``%01``, would otherwise make the XML invalid)."""

    def __init__(self, feed_type=Rss201rev2Feed):
        super().__init__()
        self.feed_type = feed_type

    def get_feed(self, obj, request):
        return super().get_feed(obj, _OnSiteUrl(request))

    def _get_dynamic_attr(self, attname, obj, default=None):
        value = super()._get_dynamic_attr(attname, obj, default)
        if attname in ("title", "description") and isinstance(value, str):
            return clean_line(value)
        return value

    def author_name(self):
        # Atom wants an author on the feed when an entry has none (a paper without author names).
        return settings.SITE_NAME

    def item_title(self, paper):
        return paper.title

    def item_description(self, paper):
        repo = web_url(paper.github_repo)
        code = format_html(' · <a href="{}">code</a>', repo) if repo else ""
        return format_html('<p>{}</p><p>{}</p><p><a href="{}">arXiv</a> · <a href="{}">PDF</a>{}</p>',
                           paper.abstract, _author_names(paper), paper.abs_url, paper.pdf_url, code)

    def item_author_name(self, paper):
        return _author_names(paper) or None

    def item_pubdate(self, paper):
        submission = getattr(paper, "submission", None)
        return submission.submitted_at if submission else _midnight(paper.published)

    def item_updateddate(self, paper):
        # The entry's own last change: when this paper's row last changed here (a new version, a
        # synced count), never later than now and never before the entry was published.
        published = self.item_pubdate(paper)
        return max(paper.updated_at, published) if published else paper.updated_at

    def item_categories(self, paper):
        return paper.categories


class DailyFeed(PaperFeed):
    def title(self):
        return f"{settings.SITE_NAME}: latest featured papers"

    def description(self):
        return f"The latest {DAILY_ITEMS} papers featured on {settings.SITE_NAME}, newest first."

    def link(self):
        return reverse("papers:latest")

    def items(self):
        return _featured().ranked("newest")[:DAILY_ITEMS]


class TrendingFeed(PaperFeed):
    def title(self):
        return f"{settings.SITE_NAME}: trending papers"

    def description(self):
        return f"The {TRENDING_ITEMS} featured papers trending now: upvotes weighed against time since featured."

    def link(self):
        return reverse("papers:latest") + "?sort=trending"

    def items(self):
        return _featured().ranked("trending", timezone.now())[:TRENDING_ITEMS]


class CategoryFeed(PaperFeed):
    def get_object(self, request, code):
        # Control characters are never part of a category; a NUL would also reach PostgreSQL (a 500).
        return clean_line(code)

    def title(self, code):
        return f"{settings.SITE_NAME}: {code}"

    def description(self, code):
        return f"The latest papers in the arXiv category {code}, newest first."

    def link(self, code):
        return reverse("papers:latest")

    def items(self, code):
        return _newest(Paper.objects.filter(category_filter(code)))


class OrganizationFeed(PaperFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Organization, slug=slug)

    def title(self, org):
        return f"{settings.SITE_NAME}: {org.name}"

    def description(self, org):
        return f"The latest papers from {org.name}, newest first."

    def link(self, org):
        return org.get_absolute_url()

    def items(self, org):
        return _newest(Paper.objects.filter(organization=org))


class AuthorFeed(PaperFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Author, slug=slug)

    def title(self, author):
        return f"{settings.SITE_NAME}: {author.name}"

    def description(self, author):
        return f"The latest papers by {author.name}, newest first."

    def link(self, author):
        return author.get_absolute_url()

    def items(self, author):
        # Two co-authors of one paper may share an author entry: list the paper once.
        return _newest(Paper.objects.filter(pk__in=PaperAuthor.objects.filter(author=author).values("paper")))


class SearchFeed(PaperFeed):
    """``/feeds/search.rss?q=…``: the newest papers matching a query, whatever the query syntax allows."""

    def get_object(self, request):
        return clean_line(request.GET.get("q", ""))[:MAX_QUERY_CHARS]

    def title(self, query):
        return f"{settings.SITE_NAME}: search for {query}"

    def description(self, query):
        return f"The latest papers matching {query}, newest first."

    def link(self, query):
        return f"{reverse('search:search')}?{urlencode({'q': query})}"

    def feed_url(self, query):
        # The feed's own address (RSS atom:link rel=self, Atom link rel=self) must keep its query.
        fmt = "atom" if self.feed_type is Atom1Feed else "rss"
        return f"{reverse(f'feeds:search-{fmt}')}?{urlencode({'q': query})}"

    def items(self, query):
        return [hit.paper for hit in search.search(query, sort="newest", limit=LIST_ITEMS, all_authors=True).hits]


class CollectionFeed(PaperFeed):
    """A public collection, newest addition first; an item is dated when it was added."""

    def get_object(self, request, username, slug):
        collection = Collection.objects.filter(owner__username=username, slug=slug, is_public=True).first()
        if collection is None:
            raise Http404("no such public collection")
        return collection

    def title(self, collection):
        return f"{settings.SITE_NAME}: {collection.name}, a collection by {collection.owner.username}"

    def description(self, collection):
        return collection.description or f"Papers {collection.owner.username} collected, newest addition first."

    def link(self, collection):
        return collection.get_absolute_url()

    def items(self, collection):
        entries = paper_collections.items(collection)[:LIST_ITEMS]
        for entry in entries:
            entry.paper.added_at = entry.added_at
        return [entry.paper for entry in entries]

    def item_pubdate(self, paper):
        return paper.added_at


class _OnSiteUrl:
    """The request as the syndication framework sees it: its host and scheme are the site's."""

    def __init__(self, request):
        self._request = request
        self._site = urlsplit(siteurl.site_url())

    def __getattr__(self, name):
        return getattr(self._request, name)

    def get_host(self):
        return self._site.netloc

    def is_secure(self):
        return self._site.scheme == "https"


def _featured():
    return Paper.objects.visible().filter(submission__isnull=False).for_cards()


def _newest(papers):
    """Newest first, like the organization and author pages."""
    return papers.visible().for_cards().order_by("-published", "-arxiv_id")[:LIST_ITEMS]


def _author_names(paper):
    return ", ".join(link.name for link in paper.ordered_authors)


def _midnight(day):
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) if day else None
