"""Collections: a reading list per user plus named collections, public or private; BibTeX/JSON export."""

import re
import unicodedata

from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from dailypapers.lib.text import clean_line, slug_for
from dailypapers.papers.models import Paper

from .models import Collection, CollectionItem

READING_LIST = "Reading list"
MAX_COLLECTIONS = 200  # a user's named collections; far above any real use, well below abuse


class CollectionError(ValueError):
    """A refused collection action; the message is shown to the user."""


def reading_list(user):
    """The user's reading list, created on first use (two requests at once create it once)."""
    found = Collection.objects.filter(owner=user, is_reading_list=True).first()
    if found:
        return found
    try:
        with transaction.atomic():
            return Collection.objects.create(owner=user, name=READING_LIST, slug="reading-list", is_reading_list=True)
    except IntegrityError:
        return Collection.objects.get(owner=user, is_reading_list=True)


def create(user, name, is_public=False, description=""):
    name = clean_line(name)[:100]
    if not name:
        raise CollectionError("A collection needs a name.")
    if Collection.objects.filter(owner=user).count() >= MAX_COLLECTIONS:
        raise CollectionError(f"You have {MAX_COLLECTIONS} collections, the most one account can have.")
    for slug in _slug_candidates(name):
        try:
            with transaction.atomic():
                return Collection.objects.create(owner=user, name=name, slug=slug, is_public=is_public,
                                                 description=description.strip()[:1000])
        except IntegrityError:
            continue
    raise CollectionError("Could not name this collection; try another name.")


def _slug_candidates(name):
    base = slug_for(name, fallback="collection")[:100]
    # "reading-list" is reserved so a named collection never takes the reading list's address.
    if base != "reading-list":
        yield base
    for n in range(2, 50):
        yield f"{base}-{n}"


def update(collection, name, is_public, description):
    name = clean_line(name)[:100]
    if not name:
        raise CollectionError("A collection needs a name.")
    collection.name, collection.is_public, collection.description = name, is_public, description.strip()[:1000]
    collection.save(update_fields=["name", "is_public", "description", "updated_at"])
    return collection


def add(collection, paper):
    """Save ``paper`` in ``collection``; return False when it was there already."""
    try:
        with transaction.atomic():
            CollectionItem.objects.create(collection=collection, paper=paper)
    except IntegrityError:
        return False
    Collection.objects.filter(pk=collection.pk).update(updated_at=timezone.now())
    return True


def remove(collection, paper):
    return CollectionItem.objects.filter(collection=collection, paper=paper).delete()[0] > 0


def owned_with_sizes(user):
    return (Collection.objects.filter(owner=user).annotate(size=Count("items", filter=Q(items__paper__hidden=False)))
            .order_by("-is_reading_list", "name"))


def containing(user, paper):
    """The user's collections that hold ``paper``."""
    return Collection.objects.filter(owner=user, items__paper=paper)


def items(collection):
    """The collection's visible papers, newest addition first, with what a card shows."""
    papers = Paper.objects.visible().for_cards().with_total_upvotes()
    return (collection.items.filter(paper__hidden=False)
            .prefetch_related(Prefetch("paper", queryset=papers)).order_by("-added_at", "-id"))


# -- export ------------------------------------------------------------------------------------------
def as_json(collection, entries):
    return {
        "collection": {"name": collection.name, "owner": collection.owner.username,
                       "description": collection.description, "public": collection.is_public},
        "papers": [{
            "arxiv_id": e.paper.arxiv_id, "title": e.paper.title,
            "authors": [a.name for a in e.paper.ordered_authors],
            "published": e.paper.published.isoformat() if e.paper.published else None,
            "url": e.paper.abs_url, "added_at": e.added_at.isoformat(),
        } for e in entries],
    }


def as_bibtex(entries):
    keys = set()
    return "\n".join(_bibtex_entry(e.paper, keys) for e in entries)


def _bibtex_entry(paper, keys):
    authors = [a.name for a in paper.ordered_authors]
    fields = [
        ("title", f"{{{_bibtex_text(paper.title)}}}"),
        ("author", " and ".join(_bibtex_text(a) for a in authors) or "Unknown"),
        ("year", str(paper.published.year) if paper.published else ""),
        ("eprint", paper.arxiv_id),
        ("archivePrefix", "arXiv"),
        ("primaryClass", paper.primary_category),
        ("url", paper.abs_url),
    ]
    if paper.doi:
        fields.append(("doi", _bibtex_text(paper.doi)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{_bibtex_key(paper, authors, keys)},\n{body}\n}}\n"


def _bibtex_key(paper, authors, keys):
    """``surname`` + year + first title word, ASCII only (what BibTeX accepts), unique in the file."""
    surname = authors[0].split()[-1] if authors else "anon"
    word = next((w for w in re.findall(r"[A-Za-z]+", _ascii(paper.title)) if len(w) > 3), "paper")
    year = paper.published.year if paper.published else ""
    base = re.sub(r"[^a-z0-9]", "", f"{_ascii(surname)}{year}{word}".lower()) or paper.arxiv_id.replace("/", "")
    key, n = base, 1
    while key in keys:
        n += 1
        key = f"{base}{chr(ord('a') + n - 2) if n <= 27 else n}"
    keys.add(key)
    return key


def _ascii(text):
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _bibtex_text(text):
    """Keep LaTeX in titles (arXiv titles are LaTeX), escape what would break a field: unescaped
    ``& % #`` and braces that do not balance."""
    text = re.sub(r"(?<!\\)([&%#])", r"\\\1", clean_line(text))
    out, depth = [], 0
    for char in text:
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                continue
            depth -= 1
        out.append(char)
    return "".join(out) + "}" * depth
