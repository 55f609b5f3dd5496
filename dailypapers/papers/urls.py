from django.urls import path, re_path

from . import views

app_name = "papers"

# Any id-like path reaches the view, which redirects versioned ids and explains unknown ones.
ARXIV_PATH = r"(?P<arxiv_id>[A-Za-z.\-]+/\d{7}(?:v\d+)?|[^/]+)"

urlpatterns = [
    path("", views.latest, name="home"),
    path("papers", views.latest, name="latest"),
    path("papers/trending", views.trending, name="trending"),
    path("papers/date/<str:key>", views.period_feed, {"kind": "day"}, name="day"),
    path("papers/week/<str:key>", views.period_feed, {"kind": "week"}, name="week"),
    path("papers/month/<str:key>", views.period_feed, {"kind": "month"}, name="month"),
    re_path(rf"^papers/{ARXIV_PATH}$", views.paper_detail, name="detail"),
    re_path(rf"^papers/{ARXIV_PATH}/social\.png$", views.paper_social_image, name="social-image"),
    path("organizations", views.organization_list, name="organizations"),
    path("organizations/<name:slug>", views.organization_detail, name="organization"),
    path("authors/<name:slug>", views.author_detail, name="author"),
]
