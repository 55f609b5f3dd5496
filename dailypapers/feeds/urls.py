"""``/feeds/<name>.rss`` and ``/feeds/<name>.atom``: every feed in both formats, as public reads."""

from django.urls import path
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed

from dailypapers.api.http import public_read

from .feeds import (
    AuthorFeed,
    CategoryFeed,
    CollectionFeed,
    DailyFeed,
    OrganizationFeed,
    SearchFeed,
    TrendingFeed,
)

app_name = "feeds"

FORMATS = {"rss": Rss201rev2Feed, "atom": Atom1Feed}
ROUTES = [
    ("daily", DailyFeed),
    ("trending", TrendingFeed),
    ("search", SearchFeed),
    ("categories/<str:code>", CategoryFeed),  # any text: CategoryFeed drops control characters
    ("organizations/<name:slug>", OrganizationFeed),
    ("authors/<name:slug>", AuthorFeed),
    ("collections/<name:username>/<name:slug>", CollectionFeed),
]


def _name(route, fmt):
    return f"{route.split('/')[0]}-{fmt}"


urlpatterns = [
    path(f"{route}.{fmt}", public_read(feed(feed_type), bucket="feeds"), name=_name(route, fmt))
    for route, feed in ROUTES
    for fmt, feed_type in FORMATS.items()
]
