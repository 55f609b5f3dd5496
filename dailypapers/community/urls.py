"""Community actions on papers: votes, submissions, comments, collections, links, claims, "For you"."""

from django.urls import path, re_path

from . import views

app_name = "community"

# The same id shapes as papers/urls.py: old-style ids contain a slash.
PAPER = r"^papers/(?P<arxiv_id>[A-Za-z.\-]+/\d{7}|[^/]+)"

urlpatterns = [
    re_path(rf"{PAPER}/upvote$", views.upvote, name="upvote"),
    re_path(rf"{PAPER}/comments$", views.comment_create, name="comment_create"),
    re_path(rf"{PAPER}/save$", views.save, name="save"),
    re_path(rf"{PAPER}/unsave$", views.unsave, name="unsave"),
    re_path(rf"{PAPER}/edit$", views.paper_edit, name="paper_edit"),
    re_path(rf"{PAPER}/hide$", views.paper_hide, name="paper_hide"),
    re_path(rf"{PAPER}/not-interested$", views.not_interested, name="not_interested"),
    path("submit", views.submit_view, name="submit"),
    path("comments/<int:comment_id>/edit", views.comment_edit, name="comment_edit"),
    path("comments/<int:comment_id>/delete", views.comment_delete, name="comment_delete"),
    path("comments/<int:comment_id>/hide", views.comment_hide, name="comment_hide"),
    path("collections", views.collection_list, name="collections"),
    path("users/<name:username>/collections/<name:slug>.bib", views.collection_bibtex, name="collection_bibtex"),
    path("users/<name:username>/collections/<name:slug>.json", views.collection_json, name="collection_json"),
    path("users/<name:username>/collections/<name:slug>", views.collection_detail, name="collection"),
    path("users/<name:username>/collections/<name:slug>/edit", views.collection_edit, name="collection_edit"),
    path("users/<name:username>/collections/<name:slug>/delete", views.collection_delete, name="collection_delete"),
    path("authors/<name:slug>/claim", views.author_claim, name="author_claim"),
    path("for-you", views.for_you, name="for_you"),
    path("for-you/interests", views.interests, name="interests"),
]
