"""The keyword half: a Tantivy index of papers, and the queries built for it from a ParsedQuery.

BM25 over three text fields boosted title > authors > abstract, with English stemming and ASCII
folding (one analyzer, ``dp_text``, used both for indexing and for turning query words into terms, so
the two always agree); fast fields for the filters. Queries are built as objects, never as strings
for Tantivy's own parser, so no input can be an engine operator.
"""

import datetime as dt
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

import tantivy
from tantivy import FieldType, Occur, Query

ANALYZER = "dp_text"
# Title words say what a paper is about; an author name is a strong, exact signal; the abstract is
# long and mentions much in passing. Tuned on bench/search_quality.py (docs/search.md).
FIELD_BOOSTS = {"title": 3.0, "authors": 2.0, "abstract": 1.0}
EPOCH = dt.date(1970, 1, 1)
WRITER_HEAP_BYTES = 256_000_000


def _analyzer():
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


_ANALYZER = _analyzer()


@functools.lru_cache(maxsize=65536)
def analyze(text):
    """The index terms of ``text`` (a tuple), exactly as the index stores them."""
    return tuple(_ANALYZER.analyze(text))


def _schema():
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("pk", indexed=True, fast=True)
    for name in FIELD_BOOSTS:
        builder.add_text_field(name, tokenizer_name=ANALYZER)
    builder.add_text_field("org", tokenizer_name=ANALYZER)
    # Exact, lower-cased codes and slugs: filters, not words.
    builder.add_text_field("categories", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("org_slug", tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("published", indexed=True, fast=True)  # days since 1970-01-01
    builder.add_integer_field("featured", indexed=True, fast=True)
    builder.add_unsigned_field("has_code", indexed=True, fast=True)
    # Added last, so the fields above keep their ids and an index of version 1 still answers them.
    builder.add_text_field("title_key", tokenizer_name="raw", index_option="basic")
    return builder.build()


SCHEMA = _schema()
# 2: ``title_key``, a paper's title as one exact term (``title_key()``). An index written before it
# (version 1: its own meta.json lists no such field) is still searched, without the exact-title lead;
# asking it for the field would crash the process (a Rust panic), so nothing does.
SCHEMA_VERSION = 2


def title_key(text):
    """A title as one term: its index terms in order, so case, punctuation, accents and word endings
    do not matter ("Folding Proteins: with Attention!" and "folding protein with attention" agree)."""
    return " ".join(analyze(text))


@dataclass
class IndexRow:
    """What the index needs of a paper (read by ``corpus.rows``)."""

    pk: int
    title: str
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    org_name: str = ""
    org_slug: str = ""
    published: dt.date | None = None
    featured: dt.date | None = None
    has_code: bool = False
    # Hugging Face's AI summary and keywords: matched as more abstract text, never shown as a snippet.
    summary: str = ""
    keywords: list[str] = field(default_factory=list)


def days(day):
    return (day - EPOCH).days


def _document(row):
    doc = tantivy.Document()
    doc.add_unsigned("pk", row.pk)
    doc.add_text("title", row.title)
    doc.add_text("abstract", row.abstract or "")
    for text in filter(None, [row.summary, *row.keywords]):
        doc.add_text("abstract", text)
    for name in row.authors:
        doc.add_text("authors", name)
    for code in row.categories:
        doc.add_text("categories", code.lower())
    if row.org_name:
        doc.add_text("org", f"{row.org_name} {row.org_slug}")
        doc.add_text("org_slug", row.org_slug.lower())
    if row.published:
        doc.add_integer("published", days(row.published))
    if row.featured:
        doc.add_integer("featured", days(row.featured))
    doc.add_unsigned("has_code", int(row.has_code))
    if key := title_key(row.title):
        doc.add_text("title_key", key)
    return doc


def create(rows, path=None, threads=1):
    """Write ``rows`` into a new index at ``path`` (in memory when None) and return it, committed."""
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(SCHEMA, path=None if path is None else str(path), reuse=False)
    index.register_tokenizer(ANALYZER, _analyzer())
    writer = index.writer(heap_size=WRITER_HEAP_BYTES if path else 30_000_000, num_threads=threads)
    for row in rows:
        writer.add_document(_document(row))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return KeywordIndex(index)


def open_index(path):
    index = tantivy.Index.open(str(path))
    index.register_tokenizer(ANALYZER, _analyzer())
    return KeywordIndex(index, _written_version(Path(path)))


def _written_version(path):
    fields = {entry["name"] for entry in json.loads((path / "meta.json").read_text())["schema"]}
    return SCHEMA_VERSION if "title_key" in fields else 1


class KeywordIndex:
    def __init__(self, index, version=SCHEMA_VERSION):
        self.index = index
        self.searcher = index.searcher()
        self.version = version  # of the schema it was written with

    @property
    def num_docs(self):
        return self.searcher.num_docs

    def top(self, query, limit, order_by=None):
        """``([(pk, score)], total matches)``: the best ``limit`` hits, ties broken by the higher pk.

        Tantivy breaks ties by its document address, which follows neither pk nor anything shared
        between two indexes, so a tie group cut by ``limit`` would put different papers in a page
        depending on how deep it was read: paging repeated some papers and skipped others. Read on
        until the group at the cut is whole, then order by (score, pk): the first ``limit`` of one
        total order, whatever ``limit`` is.
        """
        if limit <= 0:
            return [], self.count(query)
        depth = limit + 1
        hits, total = self._search(query, depth, order_by)
        while len(hits) == depth and depth < total and hits[-1][1] == hits[limit - 1][1]:
            depth = min(total, depth * 2)
            hits, total = self._search(query, depth, order_by)
        hits.sort(key=lambda pair: (-pair[1], -pair[0]))
        return hits[:limit], total

    def _search(self, query, limit, order_by):
        kwargs = {"order_by_field": order_by} if order_by else {}
        result = self.searcher.search(query, limit, count=True, **kwargs)
        pks = self.searcher.fast_field_values("pk", [address for _, address in result.hits])
        # Ordered by a field, the "score" is that field's value (None where a paper lacks it).
        scores = [float("-inf") if score is None else float(score) for score, _ in result.hits]
        return list(zip(pks, scores, strict=True)), result.count

    def count(self, query):
        # A limit of 0 is a panic in Tantivy's TopDocs (a PanicException, past ``except Exception``).
        return self.searcher.search(query, 1, count=True).count

    def matching(self, query, pks):
        """The subset of ``pks`` that ``query`` matches."""
        if not pks:
            return set()
        restricted = Query.boolean_query([(Occur.Must, query), (Occur.Must, pk_set(pks))])
        # At most len(pks) documents match: the top len(pks) are all of them, uncounted, ties irrelevant.
        result = self.searcher.search(restricted, len(pks), count=False)
        return set(self.searcher.fast_field_values("pk", [address for _, address in result.hits]))


def exact_title_query(parsed):
    """Papers whose title is the query, word for word (``title_key``); None for a query with an OR or
    no words. Field restrictions and exclusions are the constraint's business, as for the text."""
    if not parsed.groups or any(len(group) > 1 for group in parsed.groups):
        return None
    key = title_key(parsed.text)
    return Query.term_query(SCHEMA, "title_key", key) if key else None


def pk_set(pks):
    """Documents with one of ``pks``, unscored. One term query per pk: Tantivy's term-set query for
    the same took 2.5 ms at 100k papers and 4 ms at 1M (it walks the pk field for the whole index),
    the terms 0.9 and 1.5 ms (bench on 49 and 73 real queries, same answers)."""
    terms = [(Occur.Should, Query.term_query(SCHEMA, "pk", pk)) for pk in sorted(pks)]
    return Query.const_score_query(Query.boolean_query(terms), 0.0)


# -- queries ------------------------------------------------------------------------------------


def item_query(text, fields=FIELD_BOOSTS):
    """One word or phrase across ``fields`` (a term, or a phrase when it analyzes to several terms)."""
    terms = analyze(text)
    if not terms:
        return None
    clauses = []
    for name, boost in fields.items():
        single = Query.term_query(SCHEMA, name, terms[0]) if len(terms) == 1 else Query.phrase_query(
            SCHEMA, name, list(terms))
        clauses.append((Occur.Should, Query.boost_query(single, boost) if boost != 1.0 else single))
    return Query.boolean_query(clauses)


def text_query(parsed, conjunctive=True):
    """The scored part: every group must match (or any, when not ``conjunctive``); None if empty."""
    occur = Occur.Must if conjunctive else Occur.Should
    clauses = []
    for group in parsed.groups:
        alternatives = [q for q in (item_query(item.text) for item in group) if q is not None]
        if len(alternatives) == 1:
            clauses.append((occur, alternatives[0]))
        elif alternatives:
            clauses.append((occur, Query.boolean_query([(Occur.Should, q) for q in alternatives])))
    return Query.boolean_query(clauses) if clauses else None


def constraint_query(parsed, filters):
    """The unscored part: field restrictions, exclusions and UI filters; None when there are none."""
    musts = [q for q in _field_restrictions(parsed) + _filter_queries(filters) if q is not None]
    must_nots = [q for q in (item_query(item.text, {**FIELD_BOOSTS, "org": 1.0}) for item in parsed.excluded)
                 if q is not None]
    if not musts and not must_nots:
        return None
    clauses = [(Occur.Must, q) for q in musts] + [(Occur.MustNot, q) for q in must_nots]
    if not musts:
        clauses.insert(0, (Occur.Must, Query.all_query()))
    return Query.const_score_query(Query.boolean_query(clauses), 0.0)


def _field_restrictions(parsed):
    queries = [item_query(name, {"authors": 1.0}) or Query.empty_query() for name in parsed.authors]
    queries += [Query.term_query(SCHEMA, "categories", code.lower()) for code in parsed.categories]
    queries += [item_query(org, {"org": 1.0}) or Query.empty_query() for org in parsed.orgs]
    return queries


def _filter_queries(filters):
    if filters is None:
        return []
    queries = []
    if filters.date_from or filters.date_to:
        lower = days(filters.date_from) if filters.date_from else None
        upper = days(filters.date_to) if filters.date_to else None
        queries.append(Query.range_query(SCHEMA, filters.date_field, FieldType.Integer, lower, upper))
    if filters.category:
        queries.append(Query.term_query(SCHEMA, "categories", filters.category.lower()))
    if filters.organization:
        queries.append(Query.term_query(SCHEMA, "org_slug", filters.organization.lower()))
    if filters.has_code:
        queries.append(Query.term_query(SCHEMA, "has_code", 1))
    return queries


def combine(text, constraint):
    """``text AND constraint``; either may be None (both None: every document)."""
    parts = [q for q in (text, constraint) if q is not None]
    if not parts:
        return Query.all_query()
    return parts[0] if len(parts) == 1 else Query.boolean_query([(Occur.Must, q) for q in parts])
