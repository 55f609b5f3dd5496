"""The one table search owns: a MiniLM embedding per paper, which doubles as the embedding work queue.

A row without a vector is work to do. ``embed`` claims rows with a conditional UPDATE (``claim``,
``claimed_by`` and ``claimed_until`` set only where the row is still unclaimed, its lease ran out, or
its holder is a dead process on this host), so two runs at once never embed the same paper twice, a
run killed with -9 is taken over at once by the next run on its host, and one on another host frees
its rows when the lease expires.
"""

import datetime as dt

import numpy as np
from django.db import models

from dailypapers.papers.models import Paper

DIMENSIONS = 384
CLAIM_LEASE = dt.timedelta(minutes=10)


class PaperEmbedding(models.Model):
    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, related_name="embedding")
    # 384 little-endian float32, L2-normalized; NULL while the paper waits to be embedded.
    vector = models.BinaryField(null=True)
    # Which model and input length made the vector, and a hash of the text it was made from: a row
    # whose paper text or model changed is embedded again by ``embed --refresh``.
    model = models.CharField(max_length=60, blank=True)
    text_hash = models.CharField(max_length=32, blank=True)
    # When the vector was written: web processes score vectors newer than the index generation
    # exactly, straight from this table, so a freshly embedded paper is found at once.
    embedded_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The claim: a token per claimed batch (the write is conditional on it), the process holding it
    # (``host:pid``, so a restart on that host can tell a dead holder from a live one) and its lease.
    claim = models.CharField(max_length=32, blank=True)
    claimed_by = models.CharField(max_length=200, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The queue (rows without a vector) and the live claims, each a small partial index: the
            # table holds a row per paper, and claiming must not scan a million embedded ones.
            models.Index(fields=["id"], condition=models.Q(vector__isnull=True), name="search_embed_queue"),
            models.Index(fields=["claimed_by"], condition=models.Q(claimed_until__isnull=False),
                         name="search_embed_claims"),
        ]

    def __str__(self):
        return f"embedding of {self.paper_id}"

    def as_array(self):
        return vector_from_bytes(self.vector)


def vector_from_bytes(raw):
    return np.frombuffer(bytes(raw), dtype="<f4")


def vector_to_bytes(vector):
    return np.asarray(vector, dtype="<f4").tobytes()
