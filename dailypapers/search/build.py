"""Building an index generation from the database, and deciding when one is due."""

import logging
import os
import time

import numpy as np
from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from dailypapers.papers.models import Paper

from . import corpus, embedder, keyword, store, vectors
from .models import PaperEmbedding, vector_from_bytes

log = logging.getLogger(__name__)
VECTOR_CHUNK = 5000


def is_stale(generation):
    """True when the database holds anything the live generation lacks (or there is none), or the
    generation was written with an older keyword schema."""
    if generation is None:
        return True
    manifest = generation.manifest
    built_at = manifest.built_at_datetime
    return (
        generation.keyword.version != keyword.SCHEMA_VERSION
        or Paper.objects.filter(pk__gt=manifest.max_paper_id).exists()
        or Paper.objects.filter(updated_at__gt=built_at).exists()
        or PaperEmbedding.objects.filter(embedded_at__gt=built_at).exists()
        or Paper.objects.visible().filter(pk__lte=manifest.max_paper_id).count() != manifest.papers
    )


def build_generation(force=False):
    """Build and publish a new generation when stale (or ``force``); return its Manifest, or None when
    nothing was due or another process is building."""
    with store.writer_lock() as locked:
        if not locked:
            log.info("reindex: another process is building the index")
            return None
        store.forget()  # the generation a previous holder published
        if not force and not is_stale(store.current()):
            return None
        return _build(store.index_root())


def _build(root):
    started = time.monotonic()
    built_at = timezone.now()
    max_paper_id = Paper.objects.aggregate(m=Max("pk"))["m"] or 0
    name = store.next_name(root)
    tmp = root / f"{name}.tmp"
    tmp.mkdir(parents=True)
    papers = Paper.objects.filter(pk__lte=max_paper_id)
    index = keyword.create(corpus.rows(papers), tmp / "tantivy", threads=os.cpu_count() or 1)
    ids, matrix = _vectors(max_paper_id, built_at, tmp)
    use_hnsw = len(ids) >= settings.SEARCH_HNSW_THRESHOLD
    vectors.write(tmp, ids, matrix, hnsw=use_hnsw, dtype=settings.SEARCH_HNSW_DTYPE)
    manifest = store.Manifest(
        name=name, built_at=built_at.isoformat(), max_paper_id=max_paper_id, papers=index.num_docs,
        vectors=len(ids), hnsw=use_hnsw, model=embedder.fingerprint(),
        seconds=round(time.monotonic() - started, 2))
    store.publish(root, tmp, manifest)
    log.info("reindex: %s with %d papers and %d vectors in %.1f s", name, manifest.papers, manifest.vectors,
             manifest.seconds)
    return manifest


def _vectors(max_paper_id, built_at, tmp):
    """Every stored vector of a visible paper, written at most at ``built_at``, in pk order."""
    rows = PaperEmbedding.objects.filter(vector__isnull=False, paper__hidden=False, paper_id__lte=max_paper_id,
                                         embedded_at__lte=built_at).order_by("paper_id")
    total = rows.count()
    # Filled chunk by chunk through a memory map: a million vectors never sit in memory twice.
    matrix = np.lib.format.open_memmap(tmp / "staging.npy", mode="w+", dtype=np.float32, shape=(total, 384))
    ids = np.zeros(total, dtype=np.int64)
    filled, last = 0, 0
    while filled < total:
        chunk = list(rows.filter(paper_id__gt=last).values_list("paper_id", "vector")[:VECTOR_CHUNK])
        if not chunk:
            break
        for paper_id, raw in chunk:
            ids[filled], matrix[filled] = paper_id, vector_from_bytes(raw)
            filled += 1
        last = chunk[-1][0]
    matrix.flush()
    result = (ids[:filled], np.asarray(matrix[:filled]))
    os.unlink(tmp / "staging.npy")  # the mapping stays readable until vectors.write copies it
    return result
