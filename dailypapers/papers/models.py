"""Papers and what hangs off them: authors, organizations, versions, feed submissions, upvotes."""

import datetime as dt

from django.conf import settings
from django.db import connections, models
from django.db.models import F, Prefetch, Q
from django.urls import reverse

from dailypapers.lib import arxiv_ids, ranking


class Organization(models.Model):
    slug = models.SlugField(max_length=200, unique=True, allow_unicode=True)
    name = models.CharField(max_length=255)
    avatar_url = models.URLField(max_length=500, blank=True)
    # Hugging Face's handle for it (``AlibabaTongyiLab``: case kept, unlike our slug) and its id.
    hf_name = models.CharField(max_length=200, blank=True)
    hf_id = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("papers:organization", args=[self.slug])


class Author(models.Model):
    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=255, unique=True, allow_unicode=True)
    # A user who claimed this author entry; staff approve claims (community issue).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="authors"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("papers:author", args=[self.slug])


class PaperQuerySet(models.QuerySet):
    def visible(self):
        return self.filter(hidden=False)

    def featured_between(self, first_day, last_day):
        """Papers featured on a feed day in [first_day, last_day], on their first day or listed again."""
        again = FeedRepeat.objects.filter(feed_day__range=(first_day, last_day)).values("paper_id")
        return self.visible().filter(Q(submission__feed_day__range=(first_day, last_day)) | Q(pk__in=again))

    def for_cards(self):
        """Papers with their organization, submission and every author link, in two queries whatever the
        count: the paper page, the JSON outputs and feeds. Lists of cards load through ``cards.load``."""
        return self.select_related("organization", "submission", "submission__submitter").prefetch_related(
            Prefetch("paper_authors", queryset=PaperAuthor.objects.select_related("author").order_by("position"))
        )

    def with_total_upvotes(self):
        return self.annotate(total_upvotes=F("hf_upvotes") + F("local_upvotes"))

    def ranked(self, sort, reference=None):
        """Order by ``upvotes`` (default), ``trending`` or ``newest``; ties break on arXiv id."""
        qs = self.with_total_upvotes()
        if sort == "trending":
            now_ts = int((reference or dt.datetime.now(dt.UTC)).timestamp())
            qs = qs.annotate(trending=ranking.trending_expression("total_upvotes", "submission__featured_ts", now_ts))
            return qs.order_by("-trending", "-total_upvotes", "-arxiv_id")
        if sort == "newest":
            return qs.order_by("-submission__featured_ts", "-published", "-arxiv_id")
        # Hugging Face breaks ties in upvotes by the paper's arXiv time, newest first.
        return qs.order_by("-total_upvotes", F("arxiv_submitted_at").desc(nulls_last=True),
                           "-submission__featured_ts", "-arxiv_id")


class Paper(models.Model):
    arxiv_id = models.CharField(max_length=40, unique=True, help_text="Versionless arXiv id")
    version = models.PositiveSmallIntegerField(default=1)
    title = models.TextField()
    abstract = models.TextField(blank=True)
    authors = models.ManyToManyField(Author, through="PaperAuthor", related_name="papers")
    published = models.DateField(null=True, blank=True, db_index=True, help_text="Date of v1")
    updated = models.DateField(null=True, blank=True, help_text="Date of the current version")
    primary_category = models.CharField(max_length=40, blank=True, db_index=True)
    # Space-separated, primary first: one column that filters the same way on SQLite and PostgreSQL.
    category_codes = models.CharField(max_length=500, blank=True)
    comment = models.TextField(blank=True)
    journal_ref = models.TextField(blank=True)
    doi = models.CharField(max_length=255, blank=True)
    github_repo = models.URLField(max_length=500, blank=True)
    github_stars = models.PositiveIntegerField(null=True, blank=True)
    project_page = models.URLField(max_length=500, blank=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="papers"
    )
    keywords = models.JSONField(default=list, blank=True)
    withdrawn = models.BooleanField(default=False)
    # Votes imported from Hugging Face are kept apart from local ones; pages show the sum.
    hf_upvotes = models.PositiveIntegerField(default=0)
    local_upvotes = models.PositiveIntegerField(default=0, help_text="Denormalized count of Upvote rows")
    hf_comments = models.PositiveIntegerField(default=0)
    local_comments = models.PositiveIntegerField(default=0)
    hidden = models.BooleanField(default=False, help_text="Hidden by a moderator")
    # What Hugging Face sends beyond the arXiv metadata (docs/api.md, "What is stored"). Texts "as sent"
    # keep HF's line breaks and are empty where they equal the cleaned title/abstract.
    title_as_sent = models.TextField(blank=True)
    listing_title = models.TextField(blank=True, help_text="HF's listing title, where it differs")
    abstract_as_sent = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True, help_text="HF's paper.publishedAt, exact")
    arxiv_submitted_at = models.DateTimeField(null=True, blank=True, db_index=True,
                                              help_text="The paper's arXiv time (HF's listing publishedAt)")
    discussion_id = models.CharField(max_length=40, blank=True)
    thumbnail = models.URLField(max_length=500, blank=True)
    media_urls = models.JSONField(default=list, blank=True)
    ai_summary = models.TextField(blank=True, help_text="Hugging Face's AI-generated one-line summary")
    ai_summary_model = models.CharField(max_length=200, blank=True)
    github_repo_added_by = models.CharField(max_length=40, blank=True)
    is_author_participating = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PaperQuerySet.as_manager()

    class Meta:
        ordering = ["-published", "-arxiv_id"]

    def __str__(self):
        return f"{self.arxiv_id}: {self.title[:60]}"

    def get_absolute_url(self):
        return reverse("papers:detail", args=[self.arxiv_id])

    @property
    def categories(self):
        return self.category_codes.split()

    @property
    def cross_listed_from(self):
        """The home category of a paper that reached this site's categories (ARXIV_CATEGORIES) as an
        arXiv cross-list, else None: arXiv lists the primary category first."""
        codes = self.categories
        followed = set(settings.ARXIV_CATEGORIES)
        if codes and codes[0] not in followed and followed.intersection(codes[1:]):
            return codes[0]
        return None

    @property
    def upvotes(self):
        return self.hf_upvotes + self.local_upvotes

    @property
    def num_comments(self):
        return self.hf_comments + self.local_comments

    @property
    def ordered_authors(self):
        """Author links in paper order, each with the name as this paper spells it and the author's URL.
        Uses the prefetch of ``for_cards`` when present."""
        return list(self.paper_authors.all())

    @property
    def abs_url(self):
        return arxiv_ids.abs_url(self.arxiv_id)

    @property
    def pdf_url(self):
        return arxiv_ids.pdf_url(self.arxiv_id)

    @property
    def html_url(self):
        return arxiv_ids.html_url(self.arxiv_id)

    @property
    def github_name(self):
        """``owner/repo`` for a GitHub URL, for display."""
        prefix = "https://github.com/"
        if self.github_repo.startswith(prefix):
            return self.github_repo[len(prefix) :].strip("/")
        return self.github_repo


class PaperAuthor(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="paper_authors")
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="paper_links")
    position = models.PositiveSmallIntegerField()
    # The name as this paper writes it; the Author entry (shared by slug) keeps the first spelling seen.
    name = models.CharField(max_length=255)
    # Hugging Face's view of this byline: ``_id``, claim ``status`` and ``statusLastChangedAt``, and
    # the claiming ``user`` object, as sent.
    hf = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["paper", "position"], name="unique_author_position")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return self.author.get_absolute_url()


class PaperVersion(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveSmallIntegerField()
    announced = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["version"]
        constraints = [models.UniqueConstraint(fields=["paper", "version"], name="unique_paper_version")]

    def __str__(self):
        return f"{self.paper_id} v{self.version}"


class SubmissionQuerySet(models.QuerySet):
    def visible(self):
        return self.filter(paper__hidden=False)

    # The neighbouring feed days walk the feed_day index from ``day`` and stop at the first visible paper
    # (well under a millisecond). MAX/MIN aggregates over a join scan every submission instead (~15 ms
    # for 10k papers on SQLite, paid by every uncached day page).
    def day_before(self, day, inclusive=False):
        """The latest feed day with a visible paper before ``day`` (or on it, if ``inclusive``), or None."""
        earlier = Q(feed_day__lte=day) if inclusive else Q(feed_day__lt=day)
        return self._first_day(self.visible().filter(earlier).order_by("-feed_day"))

    def day_after(self, day, until=None):
        """The earliest feed day with a visible paper after ``day`` (and on or before ``until``), or None."""
        later = self.visible().filter(feed_day__gt=day)
        if until is not None:
            later = later.filter(feed_day__lte=until)
        return self._first_day(later.order_by("feed_day"))

    @staticmethod
    def _first_day(ordered):
        return ordered.values_list("feed_day", flat=True).first()

    def neighbour_days(self, day, until):
        """``(day_before(day), day_after(day, until))`` in one statement, for every day page. Composed by the
        ORM, those two small queries cost ~3M instructions of Python (7 % of an uncached day page); this
        SQL never changes, so it is written out once (the same on SQLite and PostgreSQL)."""
        visible = (f"FROM {self.model._meta.db_table} s JOIN {Paper._meta.db_table} p ON p.id = s.paper_id "
                   "WHERE NOT p.hidden")
        sql = (f"SELECT (SELECT s.feed_day {visible} AND s.feed_day < %s ORDER BY s.feed_day DESC LIMIT 1), "  # noqa: S608 - table names from the models, values as parameters
               f"(SELECT s.feed_day {visible} AND s.feed_day > %s AND s.feed_day <= %s ORDER BY s.feed_day LIMIT 1)")
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, [day, day, until])
            # SQLite hands back a subquery's date as text: it has no column type to convert by.
            return tuple(dt.date.fromisoformat(d) if isinstance(d, str) else d for d in cursor.fetchone())


class Submission(models.Model):
    """A paper featured on a feed day: its first (earliest) one; FeedRepeat holds any later ones."""

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, related_name="submission")
    feed_day = models.DateField(db_index=True)
    submitted_at = models.DateTimeField()
    # Unix seconds of submitted_at: trending arithmetic is then the same SQL on SQLite and PostgreSQL.
    featured_ts = models.BigIntegerField(db_index=True)
    submitter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="submissions"
    )
    # The Hugging Face user name for imported submissions.
    submitter_name = models.CharField(max_length=150, blank=True)
    # Hugging Face's user objects for the submitter as sent (full name, avatar, ids, flags): the
    # listing's ``submittedBy`` and the paper's ``submittedOnDailyBy``.
    submitter_profile = models.JSONField(default=dict, blank=True)
    daily_submitter = models.JSONField(default=dict, blank=True)
    # The organization Hugging Face's listing says the submitter acted for (``submitterOrganization``).
    submitter_organization = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=20, default="local")

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["-feed_day", "-featured_ts"]

    def __str__(self):
        return f"{self.paper_id} on {self.feed_day}"

    def save(self, *args, **kwargs):
        self.featured_ts = int(self.submitted_at.timestamp())
        super().save(*args, **kwargs)

    @property
    def submitter_display(self):
        if self.submitter_id:
            return self.submitter.get_username()
        return self.submitter_name

    @property
    def submitter_fullname(self):
        """The submitter's full name: HF's ``fullname`` (``AK`` for akhaliq), else the user name."""
        profile = self.submitter_profile or self.daily_submitter
        if not self.submitter_id and profile.get("fullname"):
            return profile["fullname"]
        return str(self.submitter) if self.submitter_id else self.submitter_name

    @property
    def submitter_avatar_url(self):
        if self.submitter_id:
            return ""
        return (self.submitter_profile or self.daily_submitter).get("avatarUrl") or ""


class FeedRepeat(models.Model):
    """A later feed day on which Hugging Face listed an already featured paper again: the paper shows
    on that day's lists too (as on HF), while Submission keeps its first day."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="feed_repeats")
    feed_day = models.DateField(db_index=True)

    class Meta:
        ordering = ["feed_day"]
        constraints = [models.UniqueConstraint(fields=["paper", "feed_day"], name="unique_feed_repeat")]

    def __str__(self):
        return f"{self.paper_id} again on {self.feed_day}"


class Upvote(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="upvotes")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="upvote_rows")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="unique_upvote")]

    def __str__(self):
        return f"{self.user_id} ▲ {self.paper_id}"


def category_filter(code):
    """A Q matching papers listed in an arXiv category (the codes column is space-separated)."""
    return Q(category_codes=code) | Q(category_codes__startswith=f"{code} ") | Q(
        category_codes__endswith=f" {code}"
    ) | Q(category_codes__contains=f" {code} ")


# -- community: comments, collections, author claims, moderation, recommendation signals ------------
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
        from . import markup  # imported here to keep this change inside the Comment class

        self.body_html, self.html_version = markup.render(self.body), markup.VERSION

    @property
    def html(self):
        """The body as HTML. Rendered again, and stored, when an older renderer made it."""
        from django.utils.safestring import mark_safe

        from . import markup

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
