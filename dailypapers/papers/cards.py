"""Paper cards and their small parts (organization badge, GitHub link), rendered in Python.

A day page shows up to 50 cards. In the template language a card cost about 0.8 ms on the 2-core host
(a lookup, filter or include per author, date and count, and a URL reversal per link): most of an
uncached day page. Here one costs a fraction of that. ``papers/_card.html``, ``_org_badge.html``,
``_org_avatar.html`` and ``_github.html`` remain how other templates include these parts; they call the
tags in ``paper_tags``, so this module is the one place their markup lives.

Escaping: every value from the database goes through ``_e`` (Django's own escaping: ``& < > " '``);
literal markup is ours; the result is marked safe once, at the end. Stored URLs become links only when
they are http(s) (``lib.text.web_url``): a ``javascript:`` one that reached the database is dropped.

``upvote_form`` is the one upvote button of the site (the paper page renders it too, through the
``upvote_button`` tag), and ``VERIFIED_MARK`` the one verified-author mark (the ``verified_mark`` tag).
Search results are the same cards with the search's highlights (``search_hit_card``).
"""

import functools
import html
import itertools
from typing import NamedTuple

from django.db import connection
from django.urls import get_script_prefix, reverse
from django.utils.safestring import SafeString, mark_safe

from dailypapers.lib.text import web_url

# How many author names a card shows before "· N authors"; verified authors further down still show.
SHOWN_AUTHORS = 3
ABSTRACT_FOLD_CHARS = 300  # longer abstracts fold into a <details>
NO_CSRF_TOKEN = "NOTPROVIDED"  # noqa: S105 - the csrf context processor's marker for "no token"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # date:"M"

COMMENT_ICON = (
    '<svg class="icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false"><path d="M2.5 3h11a1 1 0 0 1 '
    '1 1v6.5a1 1 0 0 1-1 1H8l-3 2.5v-2.5H2.5a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1z" fill="none" '
    'stroke="currentColor" stroke-width="1.3" stroke-linejoin="round"/></svg>'
)
GITHUB_ICON = (
    '<svg class="icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false"><path fill="currentColor" '
    'd="M8 0C3.58 0 0 3.58 0 8c0 3.54 2.29 6.53 5.47 7.59.4.07.55-.17.55-.38 0-.19-.01-.82-.01-1.49-2.01.37'
    '-2.53-.49-2.69-.94-.09-.23-.48-.94-.82-1.13-.28-.15-.68-.52-.01-.53.63-.01 1.08.58 1.23.82.72 1.21 1.87'
    '.87 2.33.66.07-.52.28-.87.51-1.07-1.78-.2-3.64-.89-3.64-3.95 0-.87.31-1.59.82-2.15-.08-.2-.36-1.02.08-2.12'
    ' 0 0 .67-.21 2.2.82.64-.18 1.32-.27 2-.27.68 0 1.36.09 2 .27 1.53-1.04 2.2-.82 2.2-.82.44 1.1.16 1.92.08'
    ' 2.12.51.56.82 1.27.82 2.15 0 3.07-1.87 3.75-3.65 3.95.29.25.54.73.54 1.48 0 1.07-.01 1.93-.01 2.2 0 .21'
    '.15.46.55.38A8.013 8.013 0 0 0 16 8c0-4.42-3.58-8-8-8z"/></svg>'
)
MATCH_LABELS = (("keyword", "matches your words"), ("semantic", "similar in meaning"))
VERIFIED_MARK = '<span class="verified-mark" title="Verified author" aria-label="verified author">✓</span>'


class CardAuthor(NamedTuple):
    name: str  # as this paper spells it
    slug: str
    verified: bool  # a user claimed this author entry


def load(pks):
    """The visible papers among ``pks``, in the order of ``pks``, with what their cards show — organization,
    submission and its submitter's name, ``author_count``, and as ``card_authors`` the first
    SHOWN_AUTHORS authors and any verified one — in two statements whose SQL is written once per
    process. Every list of cards loads through here. Through the ORM (``select_related`` and a values
    query for the shown authors), compiling the queries and building the rows' model instances was ~5
    ms of a ~17 ms search at 100k papers; here the values pass through the converters the ORM applies
    (a test holds every field and relation equal to ``Paper.objects.for_cards()``)."""
    pks = list(pks)
    if not pks:
        return []
    query = _card_query(connection.vendor)
    placeholders = ", ".join(["%s"] * len(pks))
    with connection.cursor() as cursor:
        cursor.execute(query.papers.format(pks=placeholders), pks)
        papers = [query.paper(row) for row in cursor.fetchall()]
        by_pk = {paper.pk: paper for paper in papers}
        if not by_pk:
            return []
        cursor.execute(query.authors.format(pks=", ".join(["%s"] * len(by_pk))), [SHOWN_AUTHORS, *by_pk])
        for paper_id, name, slug, user_id in cursor.fetchall():
            by_pk[paper_id].card_authors.append(CardAuthor(name, slug, user_id is not None))
    return [by_pk[pk] for pk in dict.fromkeys(pks) if pk in by_pk]


class _CardQuery:
    """The SQL of ``load`` for one database vendor, and how its rows become model instances."""

    def __init__(self):
        from django.contrib.auth import get_user_model

        from .models import Author, Organization, Paper, PaperAuthor, Submission

        q = connection.ops.quote_name
        self.models = (Paper, Organization, Submission)
        self.fields = [model._meta.concrete_fields for model in self.models]
        # Where each model's values sit in a row; the author count follows them, the username is last.
        ends = list(itertools.accumulate(len(fields) for fields in self.fields))
        self.slices = [slice(start, end) for start, end in zip([0, *ends], ends, strict=False)]
        aliases = ("p", "o", "s")
        columns = [f"{alias}.{q(f.column)}" for alias, fields in zip(aliases, self.fields, strict=True) for f in fields]
        self.converters = [self._converters(f, alias) for alias, fields in zip(aliases, self.fields, strict=True)
                           for f in fields]
        paper, org, sub, link, author = (m._meta.db_table for m in (Paper, Organization, Submission, PaperAuthor,
                                                                    Author))
        user = get_user_model()
        self.user, self.username = user, user._meta.get_field(user.USERNAME_FIELD)
        self.papers = (
            f"SELECT {', '.join(columns)}, (SELECT COUNT(*) FROM {q(link)} c WHERE c.paper_id = p.id), "  # noqa: S608
            f"u.{q(self.username.column)} FROM {q(paper)} p "
            f"LEFT JOIN {q(org)} o ON o.id = p.organization_id LEFT JOIN {q(sub)} s ON s.paper_id = p.id "
            f"LEFT JOIN {q(user._meta.db_table)} u ON u.id = s.submitter_id "
            f"WHERE p.id IN ({{pks}}) AND NOT p.hidden"
        )
        self.authors = (  # the links a card shows, ordered by paper and position
            f"SELECT l.paper_id, l.name, a.slug, a.user_id FROM {q(link)} l JOIN {q(author)} a "  # noqa: S608
            f"ON a.id = l.author_id WHERE (l.position < %s OR a.user_id IS NOT NULL) AND l.paper_id IN ({{pks}}) "
            "ORDER BY l.paper_id, l.position"
        )

    @staticmethod
    def _converters(field, alias):
        """``(column, converters)`` as the ORM's compiler finds them for a selected field."""
        column = field.get_col(alias)
        return column, connection.ops.get_db_converters(column) + column.get_db_converters(connection)

    def paper(self, row):
        values = list(row)
        for i, (column, converters) in enumerate(self.converters):
            for convert in converters:
                values[i] = convert(values[i], column, connection)
        (paper_class, org_class, sub_class), db = self.models, connection.alias
        paper_values, org_values, sub_values = (values[part] for part in self.slices)
        paper = paper_class.from_db(db, None, paper_values)
        org = org_class.from_db(db, None, org_values) if org_values[0] is not None else None
        paper_class.organization.field.set_cached_value(paper, org)
        sub = sub_class.from_db(db, None, sub_values) if sub_values[0] is not None else None
        paper_class.submission.related.set_cached_value(paper, sub)
        if sub is not None:
            sub_class.paper.field.set_cached_value(sub, paper)
            submitter = None
            if sub.submitter_id is not None:
                submitter = self.user.from_db(db, ["id", self.username.attname], [sub.submitter_id, values[-1]])
            sub_class.submitter.field.set_cached_value(sub, submitter)
        paper.author_count, paper.card_authors = values[self.slices[-1].stop], []
        return paper


@functools.lru_cache(maxsize=4)
def _card_query(vendor):
    return _CardQuery()


def _e(value):
    """Escape like the template language does: ``& < > " '``; markup already marked safe passes."""
    if isinstance(value, SafeString):
        return value
    return html.escape(str(value))


def _safe(markup):
    """Mark markup built here (literals and ``_e``-escaped values only) as safe for templates."""
    return mark_safe(markup)  # noqa: S308


def _plural(count):
    return "" if count == 1 else "s"


def _day(day):
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"  # as the template filter date:"M j, Y"


def _date(day):
    return f'<time datetime="{day.isoformat()}">{_day(day)}</time>'


@functools.lru_cache(maxsize=50_000)
def _reverse(prefix, name, arg):
    # Reversing walks the URL patterns (~20 µs); a card has five or six links. The result depends only
    # on the name, the argument and the script prefix, which is part of the key.
    return reverse(name, args=[arg])


def url(name, arg, prefix=None):
    """``reverse(name, args=[arg])``, memoised; a page of cards passes the script prefix it read once."""
    return _reverse(prefix or get_script_prefix(), name, arg)


def compact(number):
    """1234 -> "1.2k", 1_500_000 -> "1.5M": star counts the way GitHub shows them."""
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if abs(number) >= size:
            scaled = number / size
            # One decimal below 100 (1.2k), none above (123k), and never a trailing ".0".
            text = f"{scaled:.1f}" if abs(scaled) < 100 else f"{scaled:.0f}"
            return text.removesuffix(".0") + suffix
    return str(number)


def org_avatar(org, size):
    if avatar := web_url(org.avatar_url):
        size = _e(size)
        return _safe(f'<img class="org-avatar" src="{_e(avatar)}" alt="" width="{size}" height="{size}" '
                     'loading="lazy" referrerpolicy="no-referrer">')
    initial = _e(org.name[:1].upper())
    return _safe(f'<span class="org-avatar org-avatar-fallback" aria-hidden="true">{initial}</span>')


def org_badge(org, prefix=None):
    return _safe(f'<a class="org-badge" href="{_e(url("papers:organization", org.slug, prefix))}">{org_avatar(org, 20)}'
                 f'<span class="org-name">{_e(org.name)}</span></a>')


def github_link(paper):
    stars = ""
    if (count := paper.github_stars) is not None:
        stars = (f'<span class="github-stars" data-count="{count}" title="{count} star{_plural(count)}">'
                 f'★ {compact(count)}</span>')
    return _safe(f'<span class="github"><a class="github-link" href="{_e(web_url(paper.github_repo))}" '
                 f'rel="noopener nofollow" title="{_e(paper.github_name)}">{GITHUB_ICON}GitHub</a>{stars}</span>')


def _author_link(author, prefix):
    verified = VERIFIED_MARK if author.verified else ""
    href = _e(url("papers:author", author.slug, prefix))
    return f'<a class="author-link" href="{href}">{_e(author.name)}</a>{verified}'


def _authors(authors, count, prefix):
    shown = ", ".join(_author_link(author, prefix) for author in authors[:SHOWN_AUTHORS])
    # Verified authors past the first three are still named: a claim should be visible on the card.
    extra = "".join(f'<span class="verified-extra">· {_author_link(author, prefix)}</span>'
                    for author in authors[SHOWN_AUTHORS:] if author.verified)
    return (f'\n      <span class="paper-authors">\n        {shown}\n        <span class="author-count">· '
            f'{count} author{_plural(count)}</span>\n        {extra}\n      </span>')


def _card_authors(paper):
    """The authors a card may show, in order, and how many the paper has: those ``load`` read,
    else (a paper loaded with ``for_cards``) all of its links."""
    authors = getattr(paper, "card_authors", None)
    if authors is not None:
        return authors, paper.author_count
    links = paper.ordered_authors
    return [CardAuthor(link.name, link.author.slug, link.author.user_id is not None) for link in links], len(links)


def _byline(paper, prefix):
    (links, count), org = _card_authors(paper), paper.organization
    if not (org or links):
        return ""
    badge = org_badge(org, prefix) if org else ""
    return f'\n    <p class="paper-byline">\n      {badge}{_authors(links, count, prefix) if links else ""}\n    </p>'


def _abstract(paper):
    if not paper.abstract:
        return ""
    text = _e(paper.abstract)
    if len(paper.abstract) > ABSTRACT_FOLD_CHARS:
        return (f'\n    <details class="paper-abstract">\n      <summary><span class="abstract-text">{text}</span>'
                '<span class="abstract-toggle" aria-hidden="true"></span></summary>\n    </details>')
    return f'\n    <p class="paper-abstract"><span class="abstract-text">{text}</span></p>'


def _ai_summary(paper):
    """Hugging Face's one-line AI summary, labelled as such: it is generated, not the authors' words."""
    summary = getattr(paper, "ai_summary", "")
    if not summary:
        return ""
    return (f'\n    <p class="ai-summary"><span class="ai-summary-label" title="Generated by Hugging Face">'
            f"Hugging Face's AI summary</span> {_e(summary)}</p>")


def _meta(paper, extra=""):
    parts = []
    if paper.published:
        parts.append(f'<span class="published">Published {_date(paper.published)}</span>')
    count = paper.num_comments
    parts.append(f'<span class="comments" data-count="{count}" title="{count} comment{_plural(count)}">{COMMENT_ICON}'
                 f'{count}<span class="visually-hidden"> comment{_plural(count)}</span></span>')
    if web_url(paper.github_repo):
        parts.append(github_link(paper))
    if project := web_url(paper.project_page):
        parts.append(f'<a class="project-link" href="{_e(project)}" rel="noopener nofollow">'
                     "Project page</a>")
    submission = getattr(paper, "submission", None)  # papers on author pages may never have been featured
    if submission is not None and (submitter := submission.submitter_display):
        parts.append(f'<span class="submitted-by">Submitted by {_e(submitter)}</span>')
    if extra:
        parts.append(extra)
    return '\n    <p class="paper-meta">\n      ' + "\n      ".join(parts) + "\n    </p>"


def upvote_form(paper, *, voted, csrf_token, next_url, box=False, prefix=None):
    """The upvote button; ``csrf_token`` as the template context has it (``NOTPROVIDED`` renders none)."""
    token = ""
    if csrf_token and csrf_token != NO_CSRF_TOKEN:  # as {% csrf_token %} renders it
        token = f'<input type="hidden" name="csrfmiddlewaretoken" value="{_e(csrf_token)}">'
    count = paper.upvotes
    label = "Remove your upvote" if voted else "Upvote"
    action = _e(url("community:upvote", paper.arxiv_id, prefix))
    return _safe(
        f'<form class="upvote-form" method="post" action="{action}" data-upvote>'
        f'{token}<input type="hidden" name="vote" value="{0 if voted else 1}"><input type="hidden" name="next" '
        f'value="{_e(next_url)}"><button type="submit" class="upvotes upvote-button{" upvotes-box" if box else ""}'
        f'{" is-voted" if voted else ""}" aria-pressed="{"true" if voted else "false"}" data-count="{count}" '
        f'title="{label} ({count} upvote{_plural(count)})">▲ <span class="upvote-count">{count}</span></button></form>'
    )


def paper_card(paper, upvote, prefix=None, *, title=None, abstract=None, extra_meta="", classes="paper-card"):
    """One card; ``upvote`` is its ``upvote_form`` (it depends on the reader and the page). A search hit
    passes its ``title`` and ``abstract`` (a snippet) as markup with their highlights (``marked``)."""
    prefix = prefix or get_script_prefix()
    href = _e(url("papers:detail", paper.arxiv_id, prefix))
    title = _e(paper.title) if title is None else title
    if abstract is None:
        abstract = _abstract(paper)
    elif abstract:
        abstract = f'\n    <p class="paper-abstract search-snippet">{abstract}</p>'
    return _safe(
        f'<article class="{classes}" data-arxiv-id="{_e(paper.arxiv_id)}">\n  <div class="paper-card-vote">\n'
        f'    {upvote}\n  </div>\n  <div class="paper-card-body">\n    <h3 class="paper-title"><a href="'
        f'{href}">{title}</a></h3>{_byline(paper, prefix)}{_ai_summary(paper)}{abstract}'
        f"{_meta(paper, extra_meta)}\n  </div>\n</article>\n"
    )


def search_hit_card(hit, upvote, prefix=None):
    """A search result (``search.api.Hit``): its highlighted title and snippet, the day it was featured,
    and which half of the search found it."""
    prefix = prefix or get_script_prefix()
    paper, extra = hit.paper, []
    submission = getattr(paper, "submission", None)
    if submission is not None:
        day = submission.feed_day
        extra.append(f'<span class="featured-on">Featured <a href="{_e(url("papers:day", day.isoformat(), prefix))}">'
                     f"{_day(day)}</a></span>")
    chips = "".join(f'<span class="chip match-{kind}">{label}</span>' for kind, label in MATCH_LABELS
                    if kind in hit.matched)
    extra.append(f'<span class="match-reasons" title="Why this paper is here">{chips}</span>')
    return paper_card(paper, upvote, prefix, title=marked(hit.highlighted_title),
                      abstract=marked(hit.snippet_segments), extra_meta="\n      ".join(extra),
                      classes="paper-card search-hit")


def marked(segments):
    """Hugging Face highlight segments as markup: each text escaped, highlights in ``<mark>``."""
    return "".join(f"<mark>{_e(part['text'])}</mark>" if part["type"] == "highlight" else _e(part["text"])
                   for part in segments)
