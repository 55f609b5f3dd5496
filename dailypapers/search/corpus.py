"""Papers read from the database in the shape the indexes need, in pk order and bounded memory."""

from collections import defaultdict

from dailypapers.papers.models import Paper, PaperAuthor

from .keyword import IndexRow

CHUNK = 2000
_FIELDS = ("pk", "title", "abstract", "category_codes", "published", "github_repo",
           "organization__name", "organization__slug", "submission__feed_day", "ai_summary", "keywords")


def rows(papers=None):
    """IndexRows for the visible papers of ``papers`` (default: all), CHUNK at a time."""
    papers = (papers if papers is not None else Paper.objects.all()).visible().order_by("pk")
    last = 0
    while True:
        chunk = list(papers.filter(pk__gt=last).values_list(*_FIELDS)[:CHUNK])
        if not chunk:
            return
        authors = _authors([values[0] for values in chunk])
        for values in chunk:
            yield _row(values, authors[values[0]])
        last = chunk[-1][0]


def _authors(pks):
    names = defaultdict(list)
    links = PaperAuthor.objects.filter(paper_id__in=pks).order_by("paper_id", "position")
    for paper_id, name in links.values_list("paper_id", "name"):
        names[paper_id].append(name)
    return names


def _row(values, authors):
    pk, title, abstract, codes, published, github, org_name, org_slug, feed_day, summary, keywords = values
    return IndexRow(pk=pk, title=title, abstract=abstract, authors=authors, categories=codes.split(),
                    org_name=org_name or "", org_slug=org_slug or "", published=published,
                    featured=feed_day, has_code=bool(github), summary=summary or "", keywords=list(keywords or []))
