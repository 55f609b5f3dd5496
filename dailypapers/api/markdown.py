"""``/papers/<id>.md``: a paper page as Markdown, for ``huggingface_hub.HfApi.read_paper`` and for
anyone who wants a paper as plain text (a reader, a script, a language model)."""

import re
from urllib.parse import quote

from django.http import HttpResponse
from django.views.decorators.http import require_GET

from dailypapers.lib import siteurl

from .errors import ApiError, error_response
from .queries import visible_paper

# Backslash-escaped, these show as themselves in any CommonMark renderer instead of becoming raw HTML
# (``<script>``) or an entity (``&lt;``), and the raw text stays readable.
_HTML_SIGNIFICANT = re.compile(r"([<>&])")
_URL_UNSAFE = re.compile(r"[<>\s]")


@require_GET
def paper_markdown(request, arxiv_id):
    try:
        paper = visible_paper(arxiv_id)
    except ApiError as exc:
        return error_response(request, exc.status, exc.code, exc.message)
    text = render(paper, siteurl.absolute(paper.get_absolute_url()))
    return HttpResponse(text, content_type="text/markdown; charset=utf-8")


def render(paper, page_url):
    lines = [f"# {md_text(paper.title)}", "", *_facts(paper, page_url), "", "## Abstract", ""]
    lines.append(md_text(paper.abstract) or "No abstract.")
    if paper.keywords:
        lines += ["", "## Keywords", "", ", ".join(md_text(k) for k in paper.keywords)]
    return "\n".join(lines) + "\n"


def _facts(paper, page_url):
    submission = getattr(paper, "submission", None)
    facts = [
        ("Authors", ", ".join(md_text(link.name) for link in paper.ordered_authors)),
        ("Published", paper.published.isoformat() if paper.published else ""),
        ("arXiv", f"[{paper.arxiv_id}]({paper.abs_url}) · [PDF]({paper.pdf_url}) · [HTML]({paper.html_url})"),
        ("Categories", md_text(", ".join(paper.categories))),
        ("Organization", md_text(paper.organization.name) if paper.organization else ""),
        ("Code", _code(paper)),
        ("Project page", f"<{md_url(paper.project_page)}>" if paper.project_page else ""),
        ("Comment", md_text(paper.comment)),
        ("Journal reference", md_text(paper.journal_ref)),
        ("DOI", md_text(paper.doi)),
        ("Featured", _featured(submission)),
        ("Upvotes", str(paper.upvotes)),
        ("Comments", str(paper.num_comments)),
        ("Page", f"<{md_url(page_url)}>"),
    ]
    return [f"- **{label}:** {value}" for label, value in facts if value]


def _code(paper):
    if not paper.github_repo:
        return ""
    stars = f" ({paper.github_stars} stars)" if paper.github_stars is not None else ""
    return f"<{md_url(paper.github_repo)}>{stars}"


def _featured(submission):
    if submission is None:
        return ""
    by = f", submitted by {md_text(submission.submitter_display)}" if submission.submitter_display else ""
    return f"{submission.feed_day.isoformat()}{by}"


def md_text(value):
    return _HTML_SIGNIFICANT.sub(r"\\\1", value or "")


def md_url(url):
    """An http(s) URL that cannot end its ``<…>`` autolink early."""
    return _URL_UNSAFE.sub(lambda match: quote(match.group()), url)
