"""Papers and what hangs off them: authors, organizations, versions, feed submissions, upvotes."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Prefetch, Q
from django.urls import reverse

from dailypapers.lib import arxiv_ids, ranking


class Organization(models.Model):
    slug = models.SlugField(max_length=200, unique=True, allow_unicode=True)
    name = models.CharField(max_length=255)
    avatar_url = models.URLField(max_length=500, blank=True)
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
        """Papers featured on a feed day in [first_day, last_day]."""
        return self.visible().filter(submission__feed_day__range=(first_day, last_day))

    def for_cards(self):
        """Everything a paper card shows, in a constant number of queries (2) whatever the count."""
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
        return qs.order_by("-total_upvotes", "-submission__featured_ts", "-arxiv_id")


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


class Submission(models.Model):
    """A paper featured on a feed day. A paper is featured at most once (its earliest day)."""

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
    source = models.CharField(max_length=20, default="local")

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
