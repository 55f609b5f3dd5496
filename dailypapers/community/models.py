"""Community models: comments, collections, author claims, the moderation log, "For you" signals.

Their tables were created by the papers app (``papers_*``) and keep those names: moving them here moved
no data (migrations/0001_initial.py).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.safestring import mark_safe

from dailypapers.papers.models import Author, Paper

from . import markup

COMMENT_MAX_CHARS = 5000


class CommentQuerySet(models.QuerySet):
    def counted(self):
        """Comments that count in Paper.local_comments and show in full: neither deleted nor hidden."""
        return self.filter(deleted_at__isnull=True, hidden=False)


class Comment(models.Model):
    """A comment on a paper; a reply has a top-level ``parent`` (threads are one level deep)."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments"
    )
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    body = models.TextField(max_length=COMMENT_MAX_CHARS, help_text="Markdown (a safe subset)")
    # The body rendered once, when written: pages and the API show it without parsing Markdown.
    body_html = models.TextField(blank=True, default="", editable=False)
    html_version = models.PositiveSmallIntegerField(default=0, editable=False,
                                                    help_text="markup.VERSION that rendered body_html")
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    # Deleted by its author: the row stays (emptied) so that replies keep their thread.
    deleted_at = models.DateTimeField(null=True, blank=True)
    hidden = models.BooleanField(default=False, help_text="Hidden by a moderator")

    objects = CommentQuerySet.as_manager()

    class Meta:
        db_table = "papers_comment"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["paper", "created_at"], name="comment_paper_created")]

    def __str__(self):
        return f"comment {self.pk} on {self.paper_id}"

    def save(self, *args, update_fields=None, **kwargs):
        # Whoever saves the body (the comment functions, the admin) saves its HTML with it.
        if update_fields is None or "body" in update_fields:
            self._render()
            if update_fields is not None:
                update_fields = {*update_fields, "body_html", "html_version"}
        super().save(*args, update_fields=update_fields, **kwargs)

    def get_absolute_url(self):
        return f"{self.paper.get_absolute_url()}#comment-{self.pk}"

    def _render(self):
        self.body_html, self.html_version = markup.render(self.body), markup.VERSION

    @property
    def html(self):
        """The body as HTML. Rendered again, and stored, when an older renderer made it."""
        if self.html_version != markup.VERSION:
            self._render()
            Comment.objects.filter(pk=self.pk, body=self.body).update(body_html=self.body_html,
                                                                     html_version=self.html_version)
        return mark_safe(self.body_html)  # noqa: S308 - made by markup.render, which escapes all input

    @property
    def is_counted(self):
        return self.deleted_at is None and not self.hidden

    @property
    def thread_root(self):
        return self.parent or self


class Collection(models.Model):
    """A user's named list of papers. Each user has at most one reading list (created on first save)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collections")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=120, allow_unicode=True)
    description = models.TextField(max_length=1000, blank=True)
    is_public = models.BooleanField(default=False)
    is_reading_list = models.BooleanField(default=False)
    papers = models.ManyToManyField(Paper, through="CollectionItem", related_name="collections")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "papers_collection"
        ordering = ["-is_reading_list", "name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "slug"], name="unique_collection_slug"),
            models.UniqueConstraint(fields=["owner"], condition=Q(is_reading_list=True), name="one_reading_list"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("community:collection", args=[self.owner.username, self.slug])


class CollectionItem(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="collection_items")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "papers_collectionitem"
        ordering = ["-added_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["collection", "paper"], name="unique_collection_item")]

    def __str__(self):
        return f"{self.paper_id} in {self.collection_id}"


class AuthorClaim(models.Model):
    """A user's claim to be an author entry; staff approve it in the admin, which links Author.user."""

    PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
    STATUSES = [(PENDING, "Pending"), (APPROVED, "Approved"), (REJECTED, "Rejected")]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="author_claims")
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="claims")
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING, db_index=True)
    message = models.TextField(max_length=1000, blank=True, help_text="Evidence offered by the claimant")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "papers_authorclaim"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "author"], condition=Q(status="pending"),
                                    name="one_pending_claim"),
        ]

    def __str__(self):
        return f"{self.user} claims {self.author} ({self.status})"


class ModerationLog(models.Model):
    """One row per moderator action (hide, suspend, approve…): who did what to which object, and why."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=40, db_index=True)
    target_type = models.CharField(max_length=40)
    target_id = models.CharField(max_length=64)
    # The target as it read at the time, so the log stays legible after the object is deleted.
    target_repr = models.CharField(max_length=255)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "papers_moderationlog"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="modlog_target")]

    def __str__(self):
        return f"{self.actor} {self.action} {self.target_type}:{self.target_id}"


class NotInterested(models.Model):
    """A negative signal for "For you": the user asked not to see papers like this one."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="not_interested")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "papers_notinterested"
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="unique_not_interested")]

    def __str__(self):
        return f"{self.user_id} ✕ {self.paper_id}"


class InterestSeed(models.Model):
    """A cold-start pick for "For you": a paper, an author or an arXiv category the user cares about."""

    PAPER, AUTHOR, CATEGORY = "paper", "author", "category"
    KINDS = [(PAPER, "Paper"), (AUTHOR, "Author"), (CATEGORY, "Category")]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interest_seeds")
    kind = models.CharField(max_length=10, choices=KINDS)
    paper = models.ForeignKey(Paper, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(Author, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "papers_interestseed"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "paper"], condition=Q(kind="paper"), name="unique_seed_paper"),
            models.UniqueConstraint(fields=["user", "author"], condition=Q(kind="author"),
                                    name="unique_seed_author"),
            models.UniqueConstraint(fields=["user", "category"], condition=Q(kind="category"),
                                    name="unique_seed_category"),
        ]

    def __str__(self):
        return f"{self.user_id} seed {self.kind}: {self.paper or self.author or self.category}"
