"""Search's interface for the rest of the project. These names are stable:

``search(query, *, filters=None, sort="relevance", offset=0, limit=20, all_authors=False) -> SearchResults``
    Hybrid keyword + semantic search. ``.total`` matches, ``.hits`` the page: each Hit has
    ``.paper`` (loaded for a card by ``cards.load``, as every list of cards is; with ``all_authors``,
    ``for_cards()``: every author link, as the JSON and feed outputs list them),
    ``.score`` (fused), ``.highlighted_title`` and
    ``.highlighted_summary`` (Hugging Face segment lists over the whole title and abstract),
    ``.snippet`` (plain text) with ``.snippet_segments``, and ``.matched`` ({"keyword", "semantic"}).
``similar_papers(paper, k=6) -> list[Paper]``
    The ``k`` nearest papers by embedding (visible ones, loaded for cards as ``search`` loads them).
``paper_embeddings(paper_ids) -> dict[int, numpy.ndarray]``
    Stored vectors (float32, (384,), L2-normalized) of the papers that have one.
``embed_query(text) -> numpy.ndarray``
    A query's vector, comparable with the paper vectors (cosine = dot product); LRU-cached.
``Filters``
    date range over ``published`` or ``featured`` day, category, organization slug, has code.

How a query runs: parse (``query.py``) → keyword top-K from Tantivy (generation + new papers) ∥
vector top-K (generation + newer vectors) → reciprocal-rank fusion → sort → page → hydrate →
highlight. Jobs (``embed_pending``, ``build_generation``) live in ``jobs.py``.
"""

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from dailypapers.lib import arxiv_ids
from dailypapers.papers import cards
from dailypapers.papers.models import Paper

from . import embedder, fusion, highlight, keyword, live, minilm
from .models import PaperEmbedding, vector_from_bytes
from .query import parse

SORTS = ("relevance", "newest", "upvotes")
MAX_LIMIT = 100
# Tuned on bench/search_quality.py (docs/search.md): RRF's k, how deep each half is read, and the
# cosine a purely semantic hit needs (below it, a neighbour is noise: an emoji or a typo has some
# nearest paper too).
RRF_K = 100
# The keyword list's weight, then the semantic list's: at equal weights the semantic half's loose
# neighbours pushed exact matches down (nDCG@10 0.200 against keyword's 0.217 on the keyword set).
RRF_WEIGHTS = (1.0, 0.5)
KEYWORD_K = 100
VECTOR_K = 100
MIN_SIMILARITY = 0.25
# With filters or field restrictions, read this many times deeper into the vector half before
# dropping the neighbours that fail them.
CONSTRAINED_OVERFETCH = 4
# Papers titled exactly as the query lead (``titled_first``): at most this many, with this bonus, more than
# a paper first in both lists gets (sum(RRF_WEIGHTS) / (RRF_K + 1)).
TITLE_K = 10
TITLE_BONUS = sum(RRF_WEIGHTS) / RRF_K
# Newest / most upvoted reorder the SORT_POOL most relevant matches (their order lives in the database).
SORT_POOL = 1000

embed_query = embedder.embed_query
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Filters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    date_field: str = "published"  # or "featured": the feed day
    category: str = ""
    organization: str = ""  # slug
    has_code: bool = False

    def __post_init__(self):
        if self.date_field not in ("published", "featured"):
            raise ValueError(f"date_field must be 'published' or 'featured', not {self.date_field!r}")

    @property
    def active(self):
        return bool(self.date_from or self.date_to or self.category or self.organization or self.has_code)


@dataclass
class Hit:
    paper: Paper
    score: float
    highlighted_title: list
    snippet: str
    snippet_segments: list
    matched: frozenset = frozenset()
    abstract_spans: list = field(default_factory=list, repr=False)  # (start, end) of each matched word

    @property
    def highlighted_summary(self):
        """The whole abstract as segments: built when asked (the JSON outputs), not for every page."""
        return highlight.segments(self.paper.abstract, self.abstract_spans)


@dataclass
class SearchResults:
    query: str
    total: int  # every match
    hits: list[Hit]
    offset: int = 0
    limit: int = 20
    sort: str = "relevance"
    filters: Filters = field(default_factory=Filters)
    # How many matches paging can reach: ``total``, except newest/upvotes past SORT_POOL.
    reachable: int = 0
    paper: Paper | None = None  # the paper an arXiv id or URL query names
    # Milliseconds: total_ms, and its stages rank_ms (parse, encode, both halves, fusion), hydrate_ms
    # and highlight_ms (bench/search_latency.py reports each).
    timings: dict = field(default_factory=dict)
    pending: int = 0  # papers imported since the index generation, not yet searchable by their words


@dataclass
class _Ranking:
    order: list  # pks, best first
    scores: dict
    total: int
    keyword: set = field(default_factory=set)
    semantic: set = field(default_factory=set)


def search(query, *, filters=None, sort="relevance", offset=0, limit=20, all_authors=False):
    started = time.perf_counter()
    filters = filters or Filters()
    sort = sort if sort in SORTS else "relevance"
    offset, limit = max(0, int(offset)), max(0, min(int(limit), MAX_LIMIT))
    named = _named_paper(query, all_authors)
    if named is not None:
        return SearchResults(query, 1, [_hit(named, 1.0, set(), {"keyword"})], offset, limit, sort, filters, 1,
                             paper=named)
    parsed = parse(query)
    snap = live.snapshot()
    ranking = _rank(snap, parsed, filters, sort, offset + limit)
    ranked_at = time.perf_counter()
    pks = ranking.order[offset : offset + limit]
    papers = _cards(pks, all_authors)
    hydrated_at = time.perf_counter()
    terms = highlight.query_terms(parsed)
    hits = [_hit(papers[pk], ranking.scores.get(pk, 0.0), terms,
                 {name for name, pks in (("keyword", ranking.keyword), ("semantic", ranking.semantic)) if pk in pks})
            for pk in pks if pk in papers]
    reachable = ranking.total if sort == "relevance" else min(ranking.total, len(ranking.order))
    done = time.perf_counter()
    timings = {"total_ms": (done - started) * 1000, "rank_ms": (ranked_at - started) * 1000,
               "hydrate_ms": (hydrated_at - ranked_at) * 1000, "highlight_ms": (done - hydrated_at) * 1000}
    return SearchResults(query, ranking.total, hits, offset, limit, sort, filters, reachable, timings=timings,
                         pending=snap.pending)


def _cards(pks, all_authors=False):
    """``{pk: Paper}`` of the visible ones among ``pks``, loaded for cards (see ``search``)."""
    if all_authors:
        return Paper.objects.visible().for_cards().in_bulk(pks)
    return {paper.pk: paper for paper in cards.load(pks)}


def _named_paper(query, all_authors=False):
    """The paper an arXiv id or arXiv URL query names, when we have it."""
    try:
        arxiv_id = arxiv_ids.normalize(str(query or ""))
    except arxiv_ids.InvalidArxivId:
        return None
    found = Paper.objects.visible().filter(arxiv_id=arxiv_id).values_list("pk", flat=True).first()
    return None if found is None else _cards([found], all_authors).get(found)


def _hit(paper, score, terms, matched):
    found = highlight.spans(paper.abstract, terms)
    text, segments = highlight.snippet(paper.abstract, terms, found)
    return Hit(paper=paper, score=score, highlighted_title=highlight.highlighted(paper.title, terms),
               snippet=text, snippet_segments=segments, matched=frozenset(matched), abstract_spans=found)


def _rank(snap, parsed, filters, sort, need):
    text = keyword.text_query(parsed)
    constraint = keyword.constraint_query(parsed, filters)
    if text is None:
        return _browse(snap, constraint, sort, need)
    depth = max(need if sort == "relevance" else SORT_POOL, KEYWORD_K)
    kw_hits, kw_total = keyword_top(snap, keyword.combine(text, constraint), depth)
    # Every word must match: when no paper has them all, the semantic half alone answers (ranking papers
    # that share any one word, "that" or "of", put noise above meaning).
    vec_hits = vector_top(snap, parsed.text, constraint)
    kw_pks, vec_pks = [pk for pk, _ in kw_hits], [pk for pk, _ in vec_hits]
    only_semantic = set(vec_pks) - set(kw_pks)
    # A semantic hit the keyword list lacks may still match the words (past its depth): ask Tantivy,
    # unless that list already holds every match.
    also_keyword = matching(snap, keyword.combine(text, constraint), only_semantic) if kw_total > len(kw_pks) else set()
    titled = exact_titles(snap, parsed, constraint)
    order, scores = titled_first(titled, *fused_order(kw_pks, vec_pks))
    ranking = _Ranking(order, scores, kw_total + len(only_semantic - also_keyword),
                       set(kw_pks) | also_keyword | set(titled), set(vec_pks))
    if sort != "relevance":
        ranking.order = _db_order(ranking.order[:SORT_POOL], sort)
    return ranking


def fused_order(kw_pks, vec_pks):
    """The fused head (the first KEYWORD_K keyword hits with the semantic ones), then the rest of the
    keyword list in its order; the same prefix however deep the keyword list was read.

    Fusing the whole list instead made the order depend on the page: read deeper for page 6, a keyword
    hit at rank 101 that the semantic half also found outscores rank 50, and pages repeat and skip.
    Past the head a paper's score is still its exact RRF score (it is in the keyword list alone).
    """
    fused = fuse(kw_pks[:KEYWORD_K], vec_pks)
    scores = dict(fused)
    tail = [pk for pk in kw_pks[KEYWORD_K:] if pk not in scores]
    scores.update((pk, RRF_WEIGHTS[0] / (RRF_K + rank)) for rank, pk in enumerate(kw_pks, start=1)
                  if pk not in scores)
    return [pk for pk, _ in fused] + tail, scores


def exact_titles(snap, parsed, constraint=None):
    """The papers titled exactly as the query (``keyword.title_key``), by pk, at most TITLE_K."""
    query = keyword.exact_title_query(parsed)
    if query is None:
        return []
    query, found = keyword.combine(query, constraint), []
    for index in snap.keyword_indexes:
        if index.version >= 2:  # an index written before title keys has none to match
            found += [pk for pk, _ in index.top(query, TITLE_K)[0]]
    return sorted(found, reverse=True)[:TITLE_K]


def titled_first(titled, order, scores):
    """``(order, scores)`` with the papers titled exactly as the query first: a pasted title is a
    known-item search. Their score gains TITLE_BONUS, more than any fused score can reach, so scores
    still fall down the list; among them the fused order holds."""
    if not titled:
        return order, scores
    scores = dict(scores)
    for pk in titled:
        scores[pk] = scores.get(pk, 0.0) + TITLE_BONUS
    lead = sorted(titled, key=lambda pk: (-scores[pk], -pk))
    leading = set(lead)
    return lead + [pk for pk in order if pk not in leading], scores


def fuse(keyword_pks, semantic_pks):
    """The two ranked pk lists fused: ``[(pk, score)]`` best first."""
    return fusion.rrf([keyword_pks, semantic_pks], k=RRF_K, weights=list(RRF_WEIGHTS))


def _browse(snap, constraint, sort, need):
    """No words to search for: every paper passing the filters (none when there are none either)."""
    if constraint is None:
        return _Ranking([], {}, 0)
    depth = need if sort != "upvotes" else SORT_POOL
    hits, total = keyword_top(snap, keyword.combine(None, constraint), depth, order_by="published")
    order = [pk for pk, _ in hits]
    if sort == "upvotes":
        order = _db_order(order, sort)
    return _Ranking(order, {}, total, set(order))


def _db_order(pks, sort):
    order = ("-published", "-pk") if sort == "newest" else ("-total_upvotes", "-published", "-pk")
    return list(Paper.objects.filter(pk__in=pks).with_total_upvotes().order_by(*order).values_list("pk", flat=True))


def keyword_top(snap, query, limit, order_by=None):
    """``([(pk, score)], total)`` over the generation and the new papers, merged by score."""
    merged, total = [], 0
    for index in snap.keyword_indexes:
        hits, count = index.top(query, limit, order_by=order_by)
        merged += hits
        total += count
    merged.sort(key=lambda pair: (-pair[1], -pair[0]))
    return merged[:limit], total


def matching(snap, query, pks):
    found = set()
    for index in snap.keyword_indexes:
        found |= index.matching(query, pks)
    return found


def vector_top(snap, text, constraint=None, k=VECTOR_K, min_similarity=None):
    """The semantic half: ``[(pk, cosine)]`` for the text, restricted by ``constraint``."""
    if not text.strip() or snap.vector_count == 0:
        return []
    min_similarity = MIN_SIMILARITY if min_similarity is None else min_similarity
    try:
        query = embed_query(text)
    except minilm.ModelNotReady:  # a site whose setup step has not run yet: words only, never a 500
        log.warning("search by meaning is off until the model is built (dailypapers doctor)")
        return []
    found = snap.vector_search(query, k * (CONSTRAINED_OVERFETCH if constraint is not None else 1))
    found = [(pk, sim) for pk, sim in found if sim >= min_similarity]
    if constraint is not None:
        allowed = matching(snap, constraint, {pk for pk, _ in found})
        found = [(pk, sim) for pk, sim in found if pk in allowed]
    return found[:k]


def warm():
    """Load the query model and the live index, and run one search through them (web workers call it
    before their first request)."""
    embedder.warm()
    search("attention", limit=1)


def similar_papers(paper, k=6):
    """The ``k`` visible papers nearest to ``paper`` by embedding; [] until it has one."""
    raw = PaperEmbedding.objects.filter(paper_id=paper.pk, vector__isnull=False).values_list("vector", flat=True)
    raw = raw.first()
    if raw is None:
        return []
    # A few spare neighbours: the paper itself, and any hidden since the index was built.
    found = live.snapshot().vector_search(vector_from_bytes(raw), k + 4)
    return cards.load([pk for pk, _ in found if pk != paper.pk])[:k]


def paper_embeddings(paper_ids):
    rows = PaperEmbedding.objects.filter(paper_id__in=list(paper_ids), vector__isnull=False)
    return {paper_id: vector_from_bytes(raw) for paper_id, raw in rows.values_list("paper_id", "vector")}
