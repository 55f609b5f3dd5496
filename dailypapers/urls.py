from django.conf import settings
from django.contrib import admin
from django.urls import include, path

# The admin carries the site's name, not "Django administration".
admin.site.site_header = f"{settings.SITE_NAME} administration"
admin.site.site_title = f"{settings.SITE_NAME} admin"
admin.site.index_title = "Moderation and operations"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("dailypapers.ops.urls")),
    # Before the papers app: its /papers/<id> catch-all would swallow /papers/<id>.md.
    path("", include("dailypapers.api.urls")),
    path("feeds/", include("dailypapers.feeds.urls")),
    path("digests/", include("dailypapers.digests.urls")),
    # Before the papers app: /papers?q=… is the search page (search/urls.py).
    path("", include("dailypapers.search.urls")),
    path("", include("dailypapers.papers.urls")),
    path("", include("dailypapers.accounts.urls")),
    path("", include("dailypapers.community.urls")),
]
