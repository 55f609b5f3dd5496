from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("dailypapers.ops.urls")),
    # Before the papers app: its /papers/<id> catch-all would swallow /papers/<id>.md.
    path("", include("dailypapers.api.urls")),
    path("feeds/", include("dailypapers.feeds.urls")),
    path("digests/", include("dailypapers.digests.urls")),
    path("", include("dailypapers.papers.urls")),
    path("", include("dailypapers.accounts.urls")),
    path("", include("dailypapers.papers.community_urls")),
    path("", include("dailypapers.search.urls")),
]
