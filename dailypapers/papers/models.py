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
        """Papers featured on a feed day in [first_day, last_day], on their first day or listed again.

        One ``IN`` over the union of both days' rows, each read through its feed_day index: an ``OR`` of
        the joined submission's day and the repeats made SQLite scan every paper (8 ms at 10k papers)."""
        days = (first_day, last_day)
        first = Submission.objects.filter(feed_day__range=days).order_by().values("paper_id")
        again = FeedRepeat.objects.filter(feed_day__range=days).order_by().values("paper_id")
        return self.visible().filter(pk__in=first.union(again, all=True))

    def for_cards(self):
        """Papers with their organization, submission and every author link, in two queries whatever the
        count: the paper page, the JSON outputs and feeds. Lists of cards read less (``cards.rows``)."""
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

    # The neighbouring feed days walk the feed_day index and stop at the first visible paper, where
    # MAX/MIN aggregates would scan every submission (docs/performance.md).
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
        """``(day_before(day), day_after(day, until))`` in one statement, for every day page: SQL written
        once, cheaper than the two ORM queries it replaces (docs/performance.md)."""
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
