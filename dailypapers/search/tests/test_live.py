"""What a search sees beyond the index generation: bounded work on the request path."""

import datetime as dt

import numpy as np

from dailypapers.search import api, jobs, live
from dailypapers.search.models import PaperEmbedding, vector_to_bytes


def test_vectors_written_after_the_generation_are_loaded_a_batch_at_a_time(corpus, monkeypatch):
    jobs.reindex_if_stale()  # a generation without vectors
    loaded = []
    load = live._load_vectors
    monkeypatch.setattr(live, "_load_vectors", lambda rows: loaded.append(rows.count()) or load(rows))
    for _ in range(3):
        jobs.embed_pending(limit=2)  # one batch of two, all written at one instant
        live.snapshot()
    ids, _ = live.snapshot().vector_delta
    assert sorted(ids) == sorted(PaperEmbedding.objects.values_list("paper_id", flat=True)) and len(ids) == 6
    # Each look loads what was written since the last one, and the last batch again (its instant is the
    # boundary), never everything: a backfill costs a search one batch, not the whole delta.
    assert loaded == [2, 4, 4]


def test_a_paper_embedded_again_keeps_only_its_new_vector(corpus):
    jobs.reindex_if_stale()
    jobs.embed_pending()
    live.snapshot()
    row = PaperEmbedding.objects.order_by("pk").first()
    turned = np.roll(row.as_array(), 1)
    PaperEmbedding.objects.filter(pk=row.pk).update(vector=vector_to_bytes(turned),
                                                    embedded_at=row.embedded_at + dt.timedelta(seconds=5))
    ids, matrix = live.snapshot().vector_delta
    assert len(ids) == len(set(ids.tolist())) == 6
    assert np.allclose(matrix[list(ids).index(row.paper_id)], turned)


def test_a_bulk_import_waits_for_the_next_generation_instead_of_being_indexed_in_the_request(corpus, monkeypatch):
    monkeypatch.setattr(live, "INLINE_KEYWORD_MAX", 4)
    snap = live.snapshot()  # six papers, no generation yet
    assert snap.keyword_delta is None and snap.pending == 6
    assert api.search("zorblax").pending == 6
    jobs.reindex_if_stale()
    live.reset()
    assert live.snapshot().pending == 0
    assert [hit.paper.arxiv_id for hit in api.search("zorblax").hits] == ["2603.00003"]
