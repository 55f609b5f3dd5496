"""What a search sees: the live generation plus everything newer, read from the database.

Papers added after the generation (pk above its ``max_paper_id``) go into a small in-memory Tantivy
index; vectors written after it (``embedded_at`` past its ``built_at``, minus a margin for
transactions that committed late) are scored exactly. Both change only when a cheap aggregate over
the newest rows changes, so a paper a sync adds is searchable the moment it is stored. A search pays
one statement for it: two index range scans over only the rows newer than the generation.

The work a request may do here is bounded: newer vectors are loaded incrementally (only those
written since the last look), and more than INLINE_KEYWORD_MAX newer papers (a bulk import) are left
to the worker's next generation, at most a minute away, instead of being indexed in every web
process; until then a search says how many papers wait (``Snapshot.pending``).
"""

import datetime as dt
import threading
from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.db.models import F

from dailypapers.papers.models import Paper

from . import corpus, keyword, store, vectors
from .models import PaperEmbedding, vector_from_bytes

# A vector written this long before a generation's start may have committed after the build read
# the table: score it from the database too (a duplicate is harmless, a gap is not).
LATE_COMMIT_MARGIN = dt.timedelta(minutes=2)
INLINE_KEYWORD_MAX = 2000

_cache = {}
_vectors = {}  # generation path -> (freshness state, (ids, matrix))
_sql_cache = {}
_lock = threading.Lock()


@dataclass
class Snapshot:
    generation: store.Generation | None
    keyword_delta: keyword.KeywordIndex | None
    vector_delta: tuple  # (ids, matrix)
    pending: int = 0  # newer papers not searchable by their words until the next generation

    @property
    def keyword_indexes(self):
        main = self.generation.keyword if self.generation else None
        return [index for index in (main, self.keyword_delta) if index is not None]

    def vector_search(self, query, k):
        """The top ``k`` ``[(pk, similarity)]`` over the generation and the newer vectors."""
        found = {}
        if self.generation is not None:
            found.update(self.generation.vectors.search(query, k))
        ids, matrix = self.vector_delta
        found.update(vectors.top_k(matrix, ids, query, k))  # newer vectors replace older ones
        return sorted(found.items(), key=lambda pair: (-pair[1], pair[0]))[:k]

    @property
    def vector_count(self):
        main = len(self.generation.vectors) if self.generation else 0
        return main + len(self.vector_delta[0])


def snapshot():
    generation = store.current()
    state = _freshness(generation)
    pending = state[0] if state[0] > INLINE_KEYWORD_MAX else 0
    return Snapshot(generation, _keyword_delta(generation, state[:3]), _vector_delta(generation, state[3:]),
                    pending)


def _newer_papers(generation):
    return Paper.objects.filter(pk__gt=generation.manifest.max_paper_id if generation else 0)


def _embedded_after(generation):
    rows = PaperEmbedding.objects.filter(vector__isnull=False)
    if generation is not None:
        rows = rows.filter(embedded_at__gt=generation.manifest.built_at_datetime - LATE_COMMIT_MARGIN)
    return rows


def _newer_vectors(generation):
    return _embedded_after(generation).filter(paper__hidden=False)


def _freshness(generation):
    """(new papers, their last pk, their last edit, newer vectors, the last one's time) in one statement.

    Every search asks; as two ORM aggregates this was ~8 ms of a 60 ms search on the loaded bench
    machine (query compilation, two round trips), so both are compiled from the querysets once per
    generation and sent as one statement.
    """
    sql, params = _freshness_sql(generation.path if generation else None, generation)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return tuple(cursor.fetchone())


def _freshness_sql(path, generation):
    key = (connection.vendor, path)
    with _lock:
        if key in _sql_cache:
            return _sql_cache[key]
    papers, paper_params = _rows_sql(_newer_papers(generation), "pk", "updated_at")
    # Without the join on papers.hidden that loading the vectors has: with it, SQLite's planner chose to
    # scan every paper (48 ms at 25k papers). As a change signal it needs no join: a hidden paper's
    # vector is dropped where pages are hydrated.
    vectors_, vector_params = _rows_sql(_embedded_after(generation), "pk", "embedded_at")
    # Both parts are the querysets' own compiled SQL (placeholders, never values), so the filters are
    # written once, above; an aggregate without GROUP BY is always exactly one row.
    sql = ("SELECT pp.n, pp.last, pp.changed, vv.n, vv.last FROM "  # noqa: S608
           "(SELECT COUNT(p.a) n, MAX(p.a) last, MAX(p.b) changed FROM (" + papers + ") p) pp, "
           "(SELECT COUNT(v.a) n, MAX(v.b) last FROM (" + vectors_ + ") v) vv")
    value = (sql, paper_params + vector_params)
    with _lock:
        _sql_cache.clear()  # one generation at a time per process
        _sql_cache[key] = value
    return value


def _rows_sql(rows, a, b):
    """``SELECT a, b FROM … WHERE …`` of ``rows`` as (sql, params), the columns named ``a`` and ``b``."""
    query = rows.order_by().values(a=F(a), b=F(b)).query
    sql, params = query.get_compiler(connection=connection).as_sql()
    return sql, tuple(params)


def _cached(key, build):
    with _lock:
        if key in _cache:
            return _cache[key]
    value = build()
    with _lock:
        # One entry per kind: the previous delta is garbage once a newer one exists.
        for old in [k for k in _cache if k[0] == key[0]]:
            del _cache[old]
        _cache[key] = value
    return value


def _keyword_delta(generation, state):
    if not state[0] or state[0] > INLINE_KEYWORD_MAX:
        return None
    key = ("keyword", generation.path if generation else None, *state)
    return _cached(key, lambda: keyword.create(corpus.rows(_newer_papers(generation))))


EMPTY = (np.zeros(0, dtype=np.int64), np.zeros((0, 384), dtype=np.float32))


def _vector_delta(generation, state):
    """(ids, matrix) of the vectors newer than ``generation``; ``state`` is (count, last written)."""
    if not state[0]:
        return EMPTY
    path = generation.path if generation else None
    with _lock:
        previous = _vectors.get(path)
    if previous is not None and previous[0] == state:
        return previous[1]
    rows = _newer_vectors(generation)
    if previous is not None and previous[0][1] is not None:  # only what was written since the last look
        since = _as_datetime(previous[0][1])
        value = _merge(previous[1], _load_vectors(rows.filter(embedded_at__gte=since)))
    else:
        value = _load_vectors(rows)
    with _lock:
        _vectors.clear()  # one generation at a time per process
        _vectors[path] = (state, value)
    return value


def _as_datetime(value):
    """The aggregate's datetime: SQLite hands back its text form, stored in UTC."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def _load_vectors(rows):
    pairs = list(rows.values_list("paper_id", "vector"))
    if not pairs:
        return EMPTY
    ids = np.array([pk for pk, _ in pairs], dtype=np.int64)
    matrix = np.stack([vector_from_bytes(raw) for _, raw in pairs]).astype(np.float32)
    return ids, matrix


def _merge(old, new):
    """``old`` with ``new`` added; a paper in both keeps its ``new`` vector (it was embedded again)."""
    ids = np.concatenate([new[0], old[0]])
    matrix = np.concatenate([new[1], old[1]])
    _, first = np.unique(ids, return_index=True)  # the first occurrence: new before old
    return ids[first], matrix[first]


def reset():
    """Forget cached deltas and opened generations (tests)."""
    _cache.clear()
    _vectors.clear()
    _sql_cache.clear()
    store.forget()
