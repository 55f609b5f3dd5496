from django.urls import path

from . import views

app_name = "search"

urlpatterns = [
    # Included before the papers app: ``/`` and ``/papers`` with ``?q=`` are the search page. Named as
    # papers names them (papers:home, papers:latest), which the site's navigation reads.
    path("", views.feed_or_search, name="home"),
    path("papers", views.feed_or_search, name="latest"),
    path("search", views.search_page, name="search"),
]
