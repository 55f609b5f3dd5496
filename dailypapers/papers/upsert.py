"""The one write path for papers: ``upsert_papers(records)``.

Idempotent by versionless arXiv id: the same input twice changes nothing. Records are applied in
batches, each in one transaction; a record that cannot be stored is rejected alone with a reason and
the rest of its batch lands. Merge rules, where two sources or two snapshots disagree:

- a field the record leaves as ``None`` keeps the stored value;
- the current version only moves forward; every version seen is kept in PaperVersion;
- the Hugging Face upvote count keeps the highest snapshot seen (it only grows, so a smaller one is
  an older snapshot);
- a paper's Submission is its earliest feed day: an earlier day replaces a later one (which becomes a
  FeedRepeat), never the reverse. A listing on a later feed day is a repeat: the paper is listed on
  that day too (FeedRepeat) and its upvote count is taken; the rest of the paper is as its own feed
  day (or a non-feed source such as arXiv) describes it;
- Hugging Face's extras (AI summary, media, exact times, user objects…) follow the plain-field rule,
  so re-importing or re-syncing fills what an older import lacked;
- organizations are identified by their display name (the JSONL format carries nothing else); an HF
  organization slug becomes the URL slug when it is free.
"""

import datetime as dt
import logging
from dataclasses import dataclass, field
from itertools import islice

from django.db import DatabaseError, connection, transaction
from django.db.models import Q

from dailypapers.lib.text import slug_for

from . import pagecache
from .models import Author, FeedRepeat, Organization, Paper, PaperAuthor, PaperVersion, Submission
from .records import PaperRecord, RecordError

log = logging.getLogger(__name__)

BATCH_SIZE = 500
# Fields copied from a record when it knows them (not None) and they differ.
PLAIN_FIELDS = ("title", "abstract", "published", "comment", "journal_ref", "doi", "github_repo",
                "github_stars", "project_page", "keywords", "withdrawn", "hf_comments",
                "title_as_sent", "listing_title", "abstract_as_sent", "published_at", "arxiv_submitted_at",
                "discussion_id", "thumbnail", "media_urls", "ai_summary", "ai_summary_model",
                "github_repo_added_by", "is_author_participating")
MAX_FIELDS = ("hf_upvotes",)


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)

    def add(self, other):
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected.extend(other.rejected)
        return self

    @property
    def total(self):
        return self.created + self.updated + self.unchanged + len(self.rejected)

    def summary(self):
        return (f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
                f"{len(self.rejected)} rejected")


def upsert_papers(records, batch_size=BATCH_SIZE):
    """Store an iterable of PaperRecord; return an UpsertResult with a reason per rejected record."""
    result = UpsertResult()
    iterator = iter(records)
    while batch := list(islice(iterator, batch_size)):
        result.add(_upsert_batch_or_split(batch))
    return result


# After a bulk load PostgreSQL's planner still believes the tables are empty until autovacuum analyzes
# them (and never, inside the loading transaction): refresh its statistics past this many new papers.
ANALYZE_AFTER_CREATED = 1000
PAPER_TABLES = ("papers_paper", "papers_paperauthor", "papers_author", "papers_submission",
                "papers_organization", "papers_paperversion", "papers_feedrepeat")


def refresh_statistics(result):
    """ANALYZE the paper tables on PostgreSQL after a large load (SQLite plans well without)."""
    if connection.vendor != "postgresql" or result.created < ANALYZE_AFTER_CREATED:
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(PAPER_TABLES))


def _submissions(papers):
    """arxiv_id -> Submission of the given papers, by paper id: no join, so no plan can go wrong (on
    PostgreSQL a sync that has not been ANALYZEd yet planned the join to paper as nested seq scans,
    seconds a batch at 10k papers)."""
    by_pk = {paper.pk: paper for paper in papers.values()}
    found = {}
    for submission in Submission.objects.filter(paper_id__in=by_pk):
        submission.paper = by_pk[submission.paper_id]
        found[submission.paper.arxiv_id] = submission
    return found


def _upsert_batch_or_split(batch):
    try:
        with transaction.atomic():
            return _Batch(batch).apply()
    except DatabaseError as exc:
        if len(batch) == 1:
            log.warning("rejected %s: %s", batch[0].arxiv_id, exc)
            return UpsertResult(rejected=[(_label(batch[0]), f"database error: {exc}")])
        # One bad record (or a concurrent writer) spoiled the batch: redo it record by record so the
        # others still land and the culprit is named.
        log.info("batch of %d failed (%s); retrying one by one", len(batch), exc)
        result = UpsertResult()
        for record in batch:
            result.add(_upsert_batch_or_split([record]))
        return result


def _label(record):
    return getattr(record, "origin", "") or str(getattr(record, "arxiv_id", "?"))[:80]


class _Batch:
    """Applies one batch: reads what exists in a few queries, merges in memory, writes the difference."""

    def __init__(self, records):
        self.result = UpsertResult()
        self.records = []
        for record in records:
            try:
                self.records.append(record.normalized())
            except RecordError as exc:
                self.result.rejected.append((_label(record), str(exc)))
        ids = {r.arxiv_id for r in self.records}
        self.papers = Paper.objects.in_bulk(ids, field_name="arxiv_id")
        self.author_names = _author_names(self.papers.values())
        self.versions = _versions(self.papers.values())
        self.submissions = _submissions(self.papers)
        self.new_ids = {}  # insertion-ordered, so ids are assigned in input order
        self.dirty = {}  # arxiv_id -> set of changed Paper fields
        self.new_links = {}  # arxiv_id -> list of author names, for papers whose author list changed
        self.new_versions = {}  # arxiv_id -> {version: date}
        self.dirty_submissions = {}  # arxiv_id -> Submission to save
        self.repeats = _repeats(self.papers.values())  # arxiv_id -> set of later feed days
        self.new_repeats = set()  # (arxiv_id, feed_day)
        self.orgs = _OrgResolver([r.organization for r in self.records if r.organization])
        self.left_orgs = set()  # organization pks papers moved away from: their pages list them no more
        self.left_authors = set()  # slugs of the authors of rewritten bylines

    def apply(self):
        changed = {}
        for record in self.records:
            changed[record.arxiv_id] = self._merge(record) or changed.get(record.arxiv_id, False)
        for arxiv_id, was_changed in changed.items():
            if arxiv_id in self.new_ids:
                self.result.created += 1
            elif was_changed:
                self.result.updated += 1
            else:
                self.result.unchanged += 1
        self._write()
        return self.result

    # -- merging into memory ---------------------------------------------------------------------
    def _merge(self, rec: PaperRecord):
        paper = self.papers.get(rec.arxiv_id)
        if paper is None:
            paper = Paper(arxiv_id=rec.arxiv_id)
            self.papers[rec.arxiv_id] = paper
            self.new_ids[rec.arxiv_id] = True
            self.author_names[rec.arxiv_id] = []
            self.versions[rec.arxiv_id] = {}
        changed = set()
        for name in MAX_FIELDS:
            value = getattr(rec, name)
            if value is not None and value > getattr(paper, name):
                setattr(paper, name, value)
                changed.add(name)
        if self._is_late_repeat(rec):
            self.dirty.setdefault(rec.arxiv_id, set()).update(changed)
            return self._add_repeat(rec.arxiv_id, rec.featured_on) or bool(changed)
        for name in PLAIN_FIELDS:
            value = getattr(rec, name)
            if value is not None and getattr(paper, name) != value:
                setattr(paper, name, value)
                changed.add(name)
        changed |= self._merge_version(paper, rec)
        changed |= self._merge_categories(paper, rec)
        changed |= self._merge_org(paper, rec)
        if changed:
            self.dirty.setdefault(rec.arxiv_id, set()).update(changed)
        links_changed = self._merge_authors(rec)
        versions_changed = self._merge_versions(rec)
        submission_changed = self._merge_submission(rec)
        return bool(changed or links_changed or versions_changed or submission_changed)

    def _is_late_repeat(self, rec):
        current = self.submissions.get(rec.arxiv_id)
        return bool(rec.featured_on and current and rec.featured_on > current.feed_day)

    def _add_repeat(self, arxiv_id, day):
        if day in self.repeats.setdefault(arxiv_id, set()):
            return False
        self.repeats[arxiv_id].add(day)
        self.new_repeats.add((arxiv_id, day))
        return True

    def _merge_version(self, paper, rec):
        changed = set()
        if rec.version and rec.version > paper.version:
            paper.version = rec.version
            changed.add("version")
        newest = rec.version is None or rec.version >= paper.version
        if rec.updated is not None and rec.updated != paper.updated and newest:
            paper.updated = rec.updated
            changed.add("updated")
        return changed

    def _merge_categories(self, paper, rec):
        if rec.categories is None:
            return set()
        codes = " ".join(rec.categories)
        if codes == paper.category_codes:
            return set()
        paper.category_codes = codes
        paper.primary_category = rec.categories[0] if rec.categories else ""
        return {"category_codes", "primary_category"}

    def _merge_org(self, paper, rec):
        if rec.organization is None:
            return set()
        org = self.orgs.get(rec.organization)
        if paper.organization_id == org.pk:
            return set()
        if paper.organization_id is not None:
            self.left_orgs.add(paper.organization_id)
        paper.organization = org
        return {"organization"}

    def _merge_authors(self, rec):
        """A byline is rewritten when its names change, or when HF's details of it do (a claim). A
        source without details (arXiv) keeps those stored for the same names."""
        if rec.authors is None:
            return False
        stored = self.author_names[rec.arxiv_id]
        names = [name for name, _ in stored]
        details = rec.author_details
        if details is None:
            details = [d for _, d in stored] if rec.authors == names else [{} for _ in rec.authors]
        wanted = list(zip(rec.authors, details, strict=True))
        if wanted == stored:
            return False
        self.author_names[rec.arxiv_id] = wanted
        self.new_links[rec.arxiv_id] = wanted
        return True

    def _merge_versions(self, rec):
        known = self.versions[rec.arxiv_id]
        wanted = dict(rec.versions)
        if rec.version:
            wanted.setdefault(rec.version, rec.published if rec.version == 1 else rec.updated)
        changed = False
        for number, announced in wanted.items():
            if number not in known or (announced and known[number] != announced):
                known[number] = announced or known.get(number)
                self.new_versions.setdefault(rec.arxiv_id, {})[number] = known[number]
                changed = True
        return changed

    def _merge_submission(self, rec):
        if rec.featured_on is None:
            return False
        at = rec.featured_at or dt.datetime.combine(rec.featured_on, dt.time(), tzinfo=dt.UTC)
        current = self.submissions.get(rec.arxiv_id)
        if current is None:
            current = Submission(feed_day=rec.featured_on, submitted_at=at, featured_ts=int(at.timestamp()),
                                 submitter_name=rec.submitted_by or "", source=rec.source or "import")
            _merge_profiles(current, rec)
        elif rec.featured_on < current.feed_day:
            self._add_repeat(rec.arxiv_id, current.feed_day)
            current.feed_day, current.submitted_at = rec.featured_on, at
            current.featured_ts = int(at.timestamp())
            current.submitter_name = rec.submitted_by or current.submitter_name
            _merge_profiles(current, rec)
        elif rec.featured_on == current.feed_day:
            changed = _merge_profiles(current, rec)
            if rec.submitted_by and not current.submitter_name:
                current.submitter_name = rec.submitted_by
                changed = True
            if rec.featured_at and rec.featured_at != current.submitted_at:
                current.submitted_at, current.featured_ts = rec.featured_at, int(rec.featured_at.timestamp())
                changed = True
            if not changed:
                return False
        else:
            return False
        self.submissions[rec.arxiv_id] = current
        self.dirty_submissions[rec.arxiv_id] = current
        return True

    # -- writing the difference ------------------------------------------------------------------
    def _write(self):
        new_papers = [self.papers[i] for i in self.new_ids]
        Paper.objects.bulk_create(new_papers)
        if any(p.pk is None for p in new_papers):  # backends that return no ids
            ids = Paper.objects.filter(arxiv_id__in=list(self.new_ids)).values_list("arxiv_id", "pk")
            for arxiv_id, pk in ids:
                self.papers[arxiv_id].pk = pk
        for arxiv_id, fields in self.dirty.items():
            if arxiv_id not in self.new_ids:
                self.papers[arxiv_id].save(update_fields=[*fields, "updated_at"])
        self._write_authors()
        self._write_versions()
        self._write_submissions()
        FeedRepeat.objects.bulk_create([FeedRepeat(paper=self.papers[a], feed_day=day) for a, day in self.new_repeats],
                                       ignore_conflicts=True)
        touched = [self.papers[a].pk for a in {*self.new_ids, *self.dirty, *self.new_links, *self.new_versions,
                                                *self.dirty_submissions, *(a for a, _ in self.new_repeats)}]
        if touched:
            transaction.on_commit(lambda: pagecache.bump_papers(touched))
        if left := self._left_topics():
            transaction.on_commit(lambda: pagecache.bump(*left))

    def _left_topics(self):
        """Topics of what the papers' old organization and authors showed (bump_papers names the new
        ones), and every page where an organization's own name or avatar changed."""
        topics = [f"org:{slug}" for slug in Organization.objects.filter(pk__in=self.left_orgs)
                  .values_list("slug", flat=True)] if self.left_orgs else []
        topics += [f"author:{slug}" for slug in self.left_authors]
        return topics + (["all"] if self.orgs.changed else [])

    def _write_authors(self):
        if not self.new_links:
            return
        authors = _get_or_create_authors(name for links in self.new_links.values() for name, _ in links)
        papers = [self.papers[i] for i in self.new_links]
        rewritten = PaperAuthor.objects.filter(paper__in=[p for p in papers if p.arxiv_id not in self.new_ids])
        self.left_authors = set(rewritten.values_list("author__slug", flat=True))
        rewritten.delete()
        PaperAuthor.objects.bulk_create(
            PaperAuthor(paper=self.papers[arxiv_id], author=authors[slug_for(name)], position=position,
                        name=name[:255], hf=details)
            for arxiv_id, links in self.new_links.items()
            for position, (name, details) in enumerate(links)
        )

    def _write_versions(self):
        rows = [(self.papers[a], n, d) for a, versions in self.new_versions.items() for n, d in versions.items()]
        if not rows:
            return
        existing = {(v.paper_id, v.version): v for v in
                    PaperVersion.objects.filter(paper__in={p for p, _, _ in rows})}
        for paper, number, announced in rows:
            row = existing.get((paper.pk, number))
            if row is None:
                PaperVersion.objects.create(paper=paper, version=number, announced=announced)
            elif row.announced != announced:
                row.announced = announced
                row.save(update_fields=["announced"])

    def _write_submissions(self):
        fresh = []
        for arxiv_id, submission in self.dirty_submissions.items():
            submission.paper = self.papers[arxiv_id]
            if submission.pk is None:
                fresh.append(submission)
            else:
                submission.save()
        Submission.objects.bulk_create(fresh)


class _OrgResolver:
    """Finds or creates Organizations, in one query for a whole batch: by Hugging Face id where the
    record has one (two HF organizations may share a display name), else by display name."""

    def __init__(self, org_records):
        names = {o.name for o in org_records}
        hf_ids = {o.hf_id for o in org_records if o.hf_id}
        found = Organization.objects.filter(Q(name__in=names) | Q(hf_id__in=hf_ids)).order_by("pk") if names else []
        self.by_hf_id, self.by_name = {}, {}
        self.changed = False  # an existing organization's name, handle, id or avatar was updated
        for org in found:
            self._remember(org)

    def _remember(self, org):
        if org.hf_id:
            self.by_hf_id[org.hf_id] = org
        self.by_name.setdefault(org.name, org)

    def get(self, rec):
        org = self._find(rec)
        if org is None:
            org = Organization.objects.create(slug=_free_org_slug(rec), name=rec.name, avatar_url=rec.avatar_url or "",
                                              hf_name=rec.hf_name or "", hf_id=rec.hf_id or "")
            self._remember(org)
            return org
        # Hugging Face's newest word on its name, handle, id and avatar wins; a source without them
        # changes nothing (the name only moves with an HF id, which says it is the same organization).
        fields = ("name", "avatar_url", "hf_name", "hf_id") if rec.hf_id else ("avatar_url", "hf_name", "hf_id")
        changed = [name for name in fields if getattr(rec, name) and getattr(rec, name) != getattr(org, name)]
        for name in changed:
            setattr(org, name, getattr(rec, name))
        if changed:
            org.save(update_fields=changed)
            self._remember(org)
            self.changed = True
        return org

    def _find(self, rec):
        if rec.hf_id and rec.hf_id in self.by_hf_id:
            return self.by_hf_id[rec.hf_id]
        named = self.by_name.get(rec.name)
        if named is not None and rec.hf_id and named.hf_id and named.hf_id != rec.hf_id:
            return None  # the same display name, another Hugging Face organization
        return named


def _free_org_slug(rec):
    candidates = [slug_for(rec.slug)] if rec.slug else []
    candidates.append(slug_for(rec.name))
    taken = set(Organization.objects.filter(slug__in=candidates).values_list("slug", flat=True))
    for candidate in candidates:
        if candidate not in taken:
            return candidate
    base = candidates[-1][:190]
    suffix = 2
    while Organization.objects.filter(slug=f"{base}-{suffix}").exists():
        suffix += 1
    return f"{base}-{suffix}"


def _get_or_create_authors(names):
    """Authors keyed by slug, created in bulk where missing (first spelling seen names the author)."""
    wanted = {}
    for name in names:
        wanted.setdefault(slug_for(name), name)
    found = Author.objects.in_bulk(list(wanted), field_name="slug")
    missing = [Author(slug=s, name=n[:255]) for s, n in wanted.items() if s not in found]
    if missing:
        Author.objects.bulk_create(missing, ignore_conflicts=True)
        found = Author.objects.in_bulk(list(wanted), field_name="slug")
    return found


HF_SUBMITTER_OBJECTS = ("submitter_profile", "daily_submitter", "submitter_organization")


def _merge_profiles(submission, rec):
    """Take the record's Hugging Face user objects (a newer snapshot) where it has them."""
    changed = False
    for name in HF_SUBMITTER_OBJECTS:
        value = getattr(rec, name)
        if value and value != getattr(submission, name):
            setattr(submission, name, value)
            changed = True
    return changed


def _author_names(papers):
    """arxiv_id -> [(name, HF details)] in byline order."""
    names = {p.arxiv_id: [] for p in papers}
    by_pk = {p.pk: p.arxiv_id for p in papers}
    links = PaperAuthor.objects.filter(paper__in=by_pk).order_by("paper_id", "position")
    for paper_id, name, details in links.values_list("paper_id", "name", "hf"):
        names[by_pk[paper_id]].append((name, details))
    return names


def _repeats(papers):
    by_pk = {p.pk: p.arxiv_id for p in papers}
    found = {}
    for paper_id, day in FeedRepeat.objects.filter(paper__in=by_pk).values_list("paper_id", "feed_day"):
        found.setdefault(by_pk[paper_id], set()).add(day)
    return found


def _versions(papers):
    versions = {p.arxiv_id: {} for p in papers}
    by_pk = {p.pk: p.arxiv_id for p in papers}
    for paper_id, number, announced in PaperVersion.objects.filter(paper__in=by_pk).values_list(
        "paper_id", "version", "announced"
    ):
        versions[by_pk[paper_id]][number] = announced
    return versions
