"""Cold-start interests for "For you": a paper (by arXiv id or link), an author (by name) or an arXiv
category (by code). Each becomes an anchor of the recommender."""

import re

from dailypapers.lib import arxiv_ids
from dailypapers.lib.text import slug_for
from dailypapers.papers.models import Author, Paper, category_filter

from .models import InterestSeed

CATEGORY_RE = re.compile(r"^[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]{2,})?$")
MAX_SEEDS = 100


class SeedError(ValueError):
    """A refused interest; the message is shown to the user."""


def add(user, kind, value):
    value = " ".join(value.split())
    if not value:
        raise SeedError("Type a paper, an author or a category first.")
    if InterestSeed.objects.filter(user=user).count() >= MAX_SEEDS:
        raise SeedError(f"You have {MAX_SEEDS} interests, the most one account can keep.")
    finder = {"paper": _paper, "author": _author, "category": _category}.get(kind)
    if finder is None:
        raise SeedError("Pick a paper, an author or a category.")
    fields = finder(value)
    seed, _created = InterestSeed.objects.get_or_create(user=user, kind=kind, **fields)
    seed.label = _label(seed)
    return seed


def _paper(value):
    try:
        arxiv_id = arxiv_ids.normalize(value)
    except arxiv_ids.InvalidArxivId:
        raise SeedError(f"“{value[:80]}” is not an arXiv id or link.") from None
    paper = Paper.objects.visible().filter(arxiv_id=arxiv_id).first()
    if paper is None:
        raise SeedError(f"arXiv:{arxiv_id} is not on this site yet.")
    return {"paper": paper}


def _author(value):
    author = Author.objects.filter(slug=slug_for(value)).first() or Author.objects.filter(name__iexact=value).first()
    if author is None:
        raise SeedError(f"No author named “{value[:80]}” here. Check the spelling on one of their papers.")
    return {"author": author}


def _category(value):
    if not CATEGORY_RE.match(value) or not Paper.objects.visible().filter(category_filter(value)).exists():
        raise SeedError(f"No papers in the category “{value[:40]}”. Use an arXiv code such as cs.LG.")
    return {"category": value}


def _label(seed):
    if seed.kind == InterestSeed.PAPER:
        return f"“{seed.paper.title}”"
    return seed.author.name if seed.kind == InterestSeed.AUTHOR else seed.category
