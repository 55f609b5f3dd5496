"""The semantic half's nearest-neighbour search: exact below a size threshold, HNSW (usearch) above.

A generation stores ``ids.npy`` (paper pks, int64) and ``vectors.npy`` (float32, n × 384, rows
L2-normalized), both memory-mapped by readers; above ``SEARCH_HNSW_THRESHOLD`` vectors it also stores
``hnsw.usearch``, opened as a read-only view of the file. Exact search is one matrix-vector product;
its cost grows with n (docs/search.md has the crossover measured on this machine).
"""

from pathlib import Path

import numpy as np

IDS, VECTORS, HNSW = "ids.npy", "vectors.npy", "hnsw.usearch"
HNSW_CONNECTIVITY = 16
HNSW_EXPANSION_ADD = 128


def top_k(matrix, ids, query, k):
    """Exact top ``k`` of ``matrix @ query`` as ``[(pk, similarity)]``, best first."""
    if len(ids) == 0 or k <= 0:
        return []
    # einsum rather than BLAS: one thread, no pool. On the 2 shared cores here a 10k-vector product took
    # 7.2 ms through two OpenBLAS threads fighting the other processes, 1.4-1.8 ms on one.
    sims = np.einsum("ij,j->i", matrix, np.asarray(query, dtype=np.float32))
    k = min(k, len(ids))
    best = np.argpartition(-sims, k - 1)[:k] if k < len(ids) else np.arange(len(ids))
    best = best[np.argsort(-sims[best], kind="stable")]
    return [(int(ids[i]), float(sims[i])) for i in best]


def usearch_index():
    """usearch's Index class. onnxruntime is imported first: imported after usearch (usearch 2.26,
    onnxruntime 1.32), it crashes the process with a segmentation fault, and web processes load both."""
    import onnxruntime  # noqa: F401
    from usearch.index import Index

    return Index


def write(directory, ids, matrix, hnsw=False, dtype="i8", threads=0, connectivity=HNSW_CONNECTIVITY):
    directory = Path(directory)
    np.save(directory / IDS, np.asarray(ids, dtype=np.int64))
    np.save(directory / VECTORS, np.asarray(matrix, dtype=np.float32))
    if hnsw and len(ids):
        Index = usearch_index()  # noqa: N806 (a class)
        index = Index(ndim=matrix.shape[1], metric="cos", dtype=dtype, connectivity=connectivity,
                      expansion_add=HNSW_EXPANSION_ADD)
        index.add(np.asarray(ids, dtype=np.uint64), np.asarray(matrix, dtype=np.float32), threads=threads)
        index.save(str(directory / HNSW))


class VectorIndex:
    def __init__(self, ids, matrix, hnsw=None, expansion=64):
        self.ids, self.matrix, self.hnsw = ids, matrix, hnsw
        if hnsw is not None:
            hnsw.expansion_search = expansion

    @classmethod
    def open(cls, directory, expansion=64):
        directory = Path(directory)
        ids = np.load(directory / IDS, mmap_mode="r")
        matrix = np.load(directory / VECTORS, mmap_mode="r")
        hnsw = None
        if (directory / HNSW).exists():
            hnsw = usearch_index().restore(str(directory / HNSW), view=True)
        return cls(ids, matrix, hnsw, expansion)

    def __len__(self):
        return len(self.ids)

    def search(self, query, k, exact=False):
        if self.hnsw is None or exact:
            return top_k(self.matrix, self.ids, query, k)
        matches = self.hnsw.search(np.asarray(query, dtype=np.float32), min(k, len(self.ids)), threads=1)
        # Cosine "distance" is 1 - cos (the vectors are unit length, so cos = dot). Not "ip": on i8
        # storage its distances come out in the quantized scale (127² for a perfect match).
        return [(int(key), 1.0 - float(distance)) for key, distance in zip(matches.keys, matches.distances,
                                                                             strict=True)]
