"""Reciprocal-rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009).

    score(d) = Σ_lists weight / (k + rank(d))        rank counted from 1

Only ranks matter, so BM25 scores and cosine similarities never need to be put on one scale. ``k``
damps the head of each list: small k lets a list's first hit dominate, large k evens the lists out.
The defaults were chosen on bench/search_quality.py (docs/search.md has the sweep).
"""

from collections import defaultdict


def rrf(ranked_lists, k=60, weights=None):
    """``[(key, fused score)]`` best first; ties keep the order in which keys were first seen."""
    weights = weights or [1.0] * len(ranked_lists)
    scores = defaultdict(float)
    for ranked, weight in zip(ranked_lists, weights, strict=True):
        for rank, key in enumerate(ranked, start=1):
            scores[key] += weight / (k + rank)
    order = {key: i for i, key in enumerate(scores)}
    return sorted(scores.items(), key=lambda pair: (-pair[1], order[pair[0]]))
