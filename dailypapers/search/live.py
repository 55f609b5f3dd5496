"""What a search sees: the live generation plus everything newer, read from the database.

Papers added after the generation (pk above its ``max_paper_id``) go into a small in-memory Tantivy
index; vectors written after it (``embedded_at`` past its ``built_at``, minus a margin for
transactions that committed late) are scored exactly. Both are rebuilt only when a cheap aggregate
over the newest rows changes, so a new paper is searchable the moment it is imported, and a search
pays two indexed aggregate queries for it.
"""

import datetime as dt
import threading
from dataclasses import dataclass

import numpy as np
from django.db.models import Count, Max

from dailypapers.papers.models import Paper

from . import corpus, keyword, store, vectors
from .models import PaperEmbedding, vector_from_bytes

# A vector written this long before a generation's start may have committed after the build read
# the table: score it from the database too (a duplicate is harmless, a gap is not).
LATE_COMMIT_MARGIN = dt.timedelta(minutes=2)

_cache = {}
_lock = threading.Lock()


@dataclass
class Snapshot:
    generation: store.Generation | None
    keyword_delta: keyword.KeywordIndex | None
    vector_delta: tuple  # (ids, matrix)

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
    return Snapshot(generation, _keyword_delta(generation), _vector_delta(generation))


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


def _keyword_delta(generation):
    newer = Paper.objects.filter(pk__gt=generation.manifest.max_paper_id if generation else 0)
    state = newer.aggregate(n=Count("pk"), last=Max("pk"), changed=Max("updated_at"))
    if not state["n"]:
        return None
    key = ("keyword", generation.path if generation else None, state["n"], state["last"], state["changed"])
    return _cached(key, lambda: keyword.create(corpus.rows(newer)))


def _vector_delta(generation):
    rows = PaperEmbedding.objects.filter(vector__isnull=False, paper__hidden=False)
    if generation is not None:
        rows = rows.filter(embedded_at__gt=generation.manifest.built_at_datetime - LATE_COMMIT_MARGIN)
    state = rows.aggregate(n=Count("pk"), last=Max("embedded_at"))
    if not state["n"]:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 384), dtype=np.float32)
    key = ("vector", generation.path if generation else None, state["n"], state["last"])
    return _cached(key, lambda: _load_vectors(rows))


def _load_vectors(rows):
    pairs = list(rows.values_list("paper_id", "vector"))
    ids = np.array([pk for pk, _ in pairs], dtype=np.int64)
    matrix = np.stack([vector_from_bytes(raw) for _, raw in pairs]).astype(np.float32)
    return ids, matrix


def reset():
    """Forget cached deltas and opened generations (tests)."""
    _cache.clear()
    store.forget()
