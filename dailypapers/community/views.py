"""Community views: upvote, submit, comment, save, edit a paper's links, claim an author, moderate.

Every state change is a POST with CSRF. Forms work without JavaScript (the response redirects back);
``static/dailypapers/community.js`` upgrades the upvote buttons to an optimistic in-place update, for
which the upvote view answers JSON when asked (``Accept: application/json``).
"""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from dailypapers.accounts import limits
from dailypapers.lib import arxiv_ids
from dailypapers.papers import votes
from dailypapers.papers.models import Author, Paper

from . import collections, comments, moderation, recommend, recommend_seeds, submit
from .forms import ClaimForm, CollectionForm, CommentForm, PaperLinksForm, SubmitForm
from .models import AuthorClaim, Collection, Comment, InterestSeed, NotInterested

# Papers offered to pick from on a cold start.
SUGGESTIONS = 12


# -- helpers -------------------------------------------------------------------------------------------
def _paper(arxiv_id, papers=None):
    """The visible paper for an id in any form (versioned, upper case), else 404."""
    try:
        canonical = arxiv_ids.normalize(arxiv_id)
    except arxiv_ids.InvalidArxivId:
        raise Http404("not an arXiv id") from None
    return get_object_or_404(Paper.objects.visible() if papers is None else papers, arxiv_id=canonical)


def _back(request, fallback):
    """The same-site page the form was posted from (``next``), else ``fallback``."""
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return fallback


def _posted_id(request, name):
    """A posted primary key, or None when absent or not a number (a tampered form is no server error)."""
    value = request.POST.get(name, "")
    return int(value) if value.isdigit() else None


def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def _login_first(request, back):
    """An anonymous click: JSON callers get the log-in URL, forms a redirect there and back."""
    response = redirect_to_login(back)
    if _wants_json(request):
        return JsonResponse({"error": "login required", "login_url": response.url}, status=401)
    return response


def _require_verified(request, back):
    """Posting content needs a confirmed email (spam costs a real mailbox); None when allowed."""
    if request.user.is_verified:
        return None
    messages.error(request, "Confirm your email address first: we sent you a link when you signed up.")
    return redirect(back)


def _staff_only(request):
    if not (request.user.is_authenticated and request.user.is_staff):
        raise Http404()


# -- upvotes -------------------------------------------------------------------------------------------
@require_POST
def upvote(request, arxiv_id):
    paper = _paper(arxiv_id)
    back = _back(request, paper.get_absolute_url())
    if not request.user.is_authenticated:
        return _login_first(request, back)
    if verdict := limits.check(request, "vote"):
        if _wants_json(request):
            return JsonResponse({"error": "too many requests", "retry_after": verdict.retry_after}, status=429,
                                headers=verdict.headers())
        return limits.too_many(request, verdict, "vote")
    up = request.POST.get("vote", "1") != "0"
    votes.set_vote(request.user, paper, up)
    if _wants_json(request):
        paper.refresh_from_db(fields=["local_upvotes"])
        return JsonResponse({"voted": up, "upvotes": paper.upvotes, "counted": request.user.counts_votes})
    if up and not request.user.counts_votes:
        messages.info(request, "Your vote is saved; it counts once you confirm your email.")
    return redirect(back)


# -- submit ----------------------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def submit_view(request):
    form = SubmitForm(request.POST or None)
    if request.method == "POST":
        if refusal := _require_verified(request, reverse("community:submit")):
            return refusal
        if verdict := limits.check(request, "submit"):
            return limits.too_many(request, verdict, "submit")
        if form.is_valid():
            try:
                done = submit.submit(request.user, form.cleaned_data["paper"])
            except submit.SubmitError as exc:
                form.add_error("paper", str(exc))
            else:
                messages.success(request, f"Thank you! The paper is featured on {done.submission.feed_day:%B %-d}.")
                return redirect(done.paper.get_absolute_url())
    context = {"form": form, "today_count": submit.today_count(request.user),
               "SUBMIT_MAX_AGE_DAYS": settings.SUBMIT_MAX_AGE_DAYS, "SUBMIT_DAILY_CAP": settings.SUBMIT_DAILY_CAP}
    return render(request, "community/submit.html", context, status=400 if form.errors else 200)


# -- comments --------------------------------------------------------------------------------------------
@login_required
@require_POST
def comment_create(request, arxiv_id):
    paper = _paper(arxiv_id)
    back = paper.get_absolute_url() + "#comments"
    if refusal := _require_verified(request, back):
        return refusal
    if verdict := limits.check(request, "comment"):
        return limits.too_many(request, verdict, "comment")
    form = CommentForm(request.POST)
    parent = None
    if form.is_valid() and form.cleaned_data.get("parent"):
        parent = Comment.objects.filter(pk=form.cleaned_data["parent"], paper=paper).first()
        if parent is None:
            form.add_error(None, "You cannot reply to that comment.")
    if form.is_valid():
        try:
            comment = comments.post(paper, request.user, form.cleaned_data["body"], parent,
                                    notify_by_email=True)
        except comments.CommentError as exc:
            messages.error(request, str(exc))
            return redirect(back)
        return redirect(comment.get_absolute_url())
    messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(back)


def _own_comment(request, comment_id):
    comment = get_object_or_404(Comment.objects.select_related("paper"), pk=comment_id, deleted_at__isnull=True)
    if comment.author_id != request.user.pk:
        raise Http404()
    return comment


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def comment_edit(request, comment_id):
    comment = _own_comment(request, comment_id)
    form = CommentForm(request.POST or None, initial={"body": comment.body})
    if request.method == "POST" and form.is_valid():
        try:
            comments.edit(comment, request.user, form.cleaned_data["body"])
        except comments.CommentError as exc:
            form.add_error("body", str(exc))
        else:
            return redirect(comment.get_absolute_url())
    return render(request, "community/comment_edit.html", {"form": form, "comment": comment})


@login_required
@require_POST
def comment_delete(request, comment_id):
    comment = _own_comment(request, comment_id)
    comments.delete(comment, request.user)
    messages.success(request, "Your comment is deleted.")
    return redirect(comment.paper.get_absolute_url() + "#comments")


@require_POST
def comment_hide(request, comment_id):
    _staff_only(request)
    comment = get_object_or_404(Comment.objects.select_related("paper"), pk=comment_id)
    hidden = request.POST.get("hidden", "1") != "0"
    comments.set_hidden(comment, hidden, request.user, note=request.POST.get("note", ""))
    return redirect(comment.get_absolute_url())


# -- collections ----------------------------------------------------------------------------------------
@login_required
@require_POST
def save(request, arxiv_id):
    """Save to the collection picked in the form, a new one named there, or else the reading list."""
    paper = _paper(arxiv_id)
    back = _back(request, paper.get_absolute_url())
    if verdict := limits.check(request, "save"):
        return limits.too_many(request, verdict, "save")
    try:
        collection = _target_collection(request)
    except collections.CollectionError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    added = collections.add(collection, paper)
    messages.success(request, f"Saved to “{collection.name}”." if added else f"Already in “{collection.name}”.")
    return redirect(back)


def _target_collection(request):
    if name := request.POST.get("new_collection", "").strip():
        return collections.create(request.user, name, is_public=request.POST.get("public") == "1")
    if pk := _posted_id(request, "collection"):
        return get_object_or_404(Collection, pk=pk, owner=request.user)
    return collections.reading_list(request.user)


@login_required
@require_POST
def unsave(request, arxiv_id):
    paper = _paper(arxiv_id, Paper.objects.all())  # a hidden paper can still leave a collection
    collection = get_object_or_404(Collection, pk=_posted_id(request, "collection"), owner=request.user)
    if collections.remove(collection, paper):
        messages.success(request, f"Removed from “{collection.name}”.")
    return redirect(_back(request, paper.get_absolute_url()))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def collection_list(request):
    form = CollectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            collection = collections.create(request.user, form.cleaned_data["name"], form.cleaned_data["is_public"],
                                            form.cleaned_data["description"])
        except collections.CollectionError as exc:
            form.add_error("name", str(exc))
        else:
            return redirect(collection.get_absolute_url())
    # The reading list is created by the first save, never by reading this page (GET changes nothing).
    context = {"form": form, "collections": collections.owned_with_sizes(request.user)}
    return render(request, "community/collection_list.html", context)


def _visible_collection(request, username, slug):
    """A collection its owner sees, or anyone when public; private ones 404 for others (no leak)."""
    collection = get_object_or_404(Collection.objects.select_related("owner"), owner__username=username, slug=slug)
    if not collection.is_public and collection.owner != request.user:
        raise Http404()
    return collection


def _owned_collection(request, username, slug):
    collection = _visible_collection(request, username, slug)
    if collection.owner != request.user:
        raise Http404()
    return collection


@require_safe
def collection_detail(request, username, slug):
    collection = _visible_collection(request, username, slug)
    entries = list(collections.items(collection))
    context = {
        "collection": collection, "entries": entries, "papers": [e.paper for e in entries],
        "is_owner": collection.owner == request.user,
        "form": CollectionForm(initial={"name": collection.name, "is_public": collection.is_public,
                                        "description": collection.description}),
    }
    return render(request, "community/collection_detail.html", context)


@login_required
@require_POST
def collection_edit(request, username, slug):
    collection = _owned_collection(request, username, slug)
    form = CollectionForm(request.POST)
    if form.is_valid():
        collections.update(collection, form.cleaned_data["name"], form.cleaned_data["is_public"],
                           form.cleaned_data["description"])
        messages.success(request, "Collection saved.")
    else:
        messages.error(request, "A collection needs a name.")
    return redirect(collection.get_absolute_url())


@login_required
@require_POST
def collection_delete(request, username, slug):
    collection = _owned_collection(request, username, slug)
    if collection.is_reading_list:
        messages.error(request, "The reading list cannot be deleted; remove its papers instead.")
        return redirect(collection.get_absolute_url())
    collection.delete()
    messages.success(request, f"Collection “{collection.name}” deleted.")
    return redirect("community:collections")


@require_safe
def collection_bibtex(request, username, slug):
    collection = _visible_collection(request, username, slug)
    response = HttpResponse(collections.as_bibtex(collections.items(collection)),
                            content_type="application/x-bibtex; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{collection.slug}.bib"'
    return response


@require_safe
def collection_json(request, username, slug):
    collection = _visible_collection(request, username, slug)
    data = collections.as_json(collection, collections.items(collection))
    response = HttpResponse(json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{collection.slug}.json"'
    return response


# -- paper links, hiding, author claims -----------------------------------------------------------------
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def paper_edit(request, arxiv_id):
    """The submitter or staff set the organization, GitHub repository and project page."""
    paper = _paper(arxiv_id)
    if not moderation.may_edit_links(request.user, paper):
        raise Http404()
    form = PaperLinksForm(request.POST or None, initial={
        "organization": paper.organization, "github_repo": paper.github_repo, "project_page": paper.project_page})
    if request.method == "POST" and form.is_valid():
        form.apply(paper, request.user)
        messages.success(request, "The paper's links are saved.")
        return redirect(paper.get_absolute_url())
    return render(request, "community/paper_edit.html", {"form": form, "paper": paper})


@require_POST
def paper_hide(request, arxiv_id):
    _staff_only(request)
    paper = _paper(arxiv_id, Paper.objects.all())
    hidden = request.POST.get("hidden", "1") != "0"
    moderation.set_paper_hidden(paper, hidden, request.user, note=request.POST.get("note", ""))
    messages.success(request, "The paper is hidden." if hidden else "The paper is visible again.")
    return redirect("papers:latest" if hidden else paper.get_absolute_url())


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def author_claim(request, slug):
    """GET explains and shows the form; POST files a claim for a moderator to approve in the admin."""
    author = get_object_or_404(Author.objects.select_related("user"), slug=slug)
    form = ClaimForm(request.POST or None)
    pending = AuthorClaim.objects.filter(user=request.user, author=author, status=AuthorClaim.PENDING).exists()
    if request.method == "POST":
        if refusal := _require_verified(request, request.path):
            return refusal
        if author.user_id:
            messages.error(request, "This author is verified already.")
        elif not pending and form.is_valid():
            AuthorClaim.objects.create(user=request.user, author=author, message=form.cleaned_data["message"])
            messages.success(request, "Thank you: a moderator will review your claim.")
        return redirect(request.path)
    return render(request, "community/claim.html", {"author": author, "form": form, "pending": pending})


# -- "For you" ------------------------------------------------------------------------------------------
@login_required
@require_POST
def not_interested(request, arxiv_id):
    paper = _paper(arxiv_id)
    NotInterested.objects.get_or_create(user=request.user, paper=paper)
    messages.success(request, "Got it: fewer papers like this one.")
    return redirect(_back(request, reverse("community:for_you")))


@login_required
@require_safe
def for_you(request):
    """Picks with their reasons; a cold start shows the interest picker instead."""
    picks = recommend.recommend(request.user)
    seeds = InterestSeed.objects.filter(user=request.user).select_related("paper", "author")
    suggestions = []
    if not picks:
        suggestions = Paper.objects.visible().filter(submission__isnull=False).for_cards().ranked(
            "trending")[:SUGGESTIONS]
    context = {"picks": picks, "papers": [p.paper for p in picks], "seeds": seeds, "suggestions": suggestions,
               "mode": recommend.mode(request.user) if picks else None}
    return render(request, "community/for_you.html", context)


@login_required
@require_POST
def interests(request):
    """Add (``kind`` + ``value``) or remove (``remove`` = seed id) a cold-start interest."""
    if pk := _posted_id(request, "remove"):
        InterestSeed.objects.filter(pk=pk, user=request.user).delete()
        return redirect("community:for_you")
    try:
        seed = recommend_seeds.add(request.user, request.POST.get("kind", ""), request.POST.get("value", ""))
    except recommend_seeds.SeedError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Added {seed.label} to your interests.")
    return redirect(_back(request, reverse("community:for_you")))
