"""The one table search owns: a MiniLM embedding per paper, which doubles as the embedding work queue.

A row without a vector is work to do. ``embed`` claims rows with a conditional UPDATE (``claim`` and
``claimed_until`` set only where the row is still unclaimed or its lease ran out), so two runs at once
never embed the same paper twice, and a run that dies frees its rows when the lease expires.
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
    claim = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"embedding of {self.paper_id}"

    def as_array(self):
        return vector_from_bytes(self.vector)


def vector_from_bytes(raw):
    return np.frombuffer(bytes(raw), dtype="<f4")


def vector_to_bytes(vector):
    return np.asarray(vector, dtype="<f4").tobytes()
