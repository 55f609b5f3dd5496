"""Papers as rows of the import JSONL format (see hf.record_from_jsonl), for ``dailypapers export``."""

import base64

from django.db.models import F

from dailypapers.papers.models import Paper

CHUNK = 1000


def export_rows(vectors=False):
    """Every paper as an import row; ``vectors``: with its embedding and the model that made it."""
    papers = (
        Paper.objects.for_cards()
        .with_total_upvotes()
        .order_by(F("submission__feed_day").asc(nulls_last=True), "-total_upvotes", "arxiv_id")
    )
    if vectors:
        papers = papers.select_related("embedding")
    for paper in papers.iterator(chunk_size=CHUNK):
        row = paper_row(paper)
        if vectors and (embedding := _embedding(paper)) is not None:
            row["embedding"] = embedding
        yield row


def _embedding(paper):
    stored = getattr(paper, "embedding", None)
    if stored is None or stored.vector is None:
        return None
    return {"model": stored.model, "vector": base64.b64encode(bytes(stored.vector)).decode()}


def paper_row(paper):
    submission = getattr(paper, "submission", None)
    return {
        "arxiv_id": paper.arxiv_id,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": [author.name for author in paper.ordered_authors],
        "published": paper.published.isoformat() if paper.published else None,
        "categories": paper.categories,
        "upvotes": paper.upvotes,
        "daily_date": submission.feed_day.isoformat() if submission else None,
        "submitted_on_daily_at": _iso_z(submission.submitted_at) if submission else None,
        "organization": paper.organization.name if paper.organization else None,
        "github_url": paper.github_repo or None,
        "github_stars": paper.github_stars,
        "project_page": paper.project_page or None,
        "num_comments": paper.num_comments,
        "submitted_by": (submission.submitter_display or None) if submission else None,
        "ai_keywords": paper.keywords,
        "version": paper.version,
        "comment": paper.comment or None,
        "journal_ref": paper.journal_ref or None,
        "doi": paper.doi or None,
        "hf": hf_extras(paper, submission),
    }


def hf_extras(paper, submission):
    """What Hugging Face sent beyond the columns above (``hf.record_from_jsonl`` reads it back), or None."""
    extras = {
        "title_as_sent": paper.title_as_sent, "listing_title": paper.listing_title,
        "abstract_as_sent": paper.abstract_as_sent,
        "published_at": _iso_z(paper.published_at) if paper.published_at else None,
        "arxiv_submitted_at": _iso_z(paper.arxiv_submitted_at) if paper.arxiv_submitted_at else None,
        "discussion_id": paper.discussion_id, "thumbnail": paper.thumbnail, "media_urls": paper.media_urls,
        "ai_summary": paper.ai_summary, "ai_summary_model": paper.ai_summary_model,
        "github_repo_added_by": paper.github_repo_added_by, "is_author_participating": paper.is_author_participating,
        "author_details": [link.hf for link in paper.ordered_authors] if any(
            link.hf for link in paper.ordered_authors) else None,
        "submitter_profile": submission.submitter_profile if submission else None,
        "daily_submitter": submission.daily_submitter if submission else None,
        "submitter_organization": submission.submitter_organization if submission else None,
        "organization": _org_extras(paper.organization),
    }
    extras = {key: value for key, value in extras.items() if value not in (None, "", [], {})}
    return extras or None


def _org_extras(org):
    if org is None or not (org.hf_id or org.hf_name):
        return None
    return {"hf_id": org.hf_id, "hf_name": org.hf_name, "slug": org.slug, "avatar_url": org.avatar_url}


def _iso_z(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
