"""The two jobs the worker runs, each also a management command: ``embed`` and ``reindex``.

Both are idempotent and safe to run twice at once: embedding claims its rows with a conditional
UPDATE naming the holder (``models.PaperEmbedding``), so ``embed`` processes may run side by side and
one killed with -9 is taken over at once by the next on its host; building holds a file lock on the
index directory (each node builds its own index, so the lock is per node, like the index).
"""

import base64
import logging
import secrets

import numpy as np
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dailypapers.lib.claims import is_dead_local_process, this_process
from dailypapers.papers import pagecache
from dailypapers.papers.models import Paper

from . import build, embedder, progress
from .models import CLAIM_LEASE, PaperEmbedding, vector_to_bytes

BATCH_SIZE = 64
log = logging.getLogger(__name__)


def enqueue_missing(limit=10_000):
    """Add a queue row (no vector) for papers that have none; return how many were added."""
    pks = list(Paper.objects.visible().filter(embedding__isnull=True).values_list("pk", flat=True)[:limit])
    PaperEmbedding.objects.bulk_create([PaperEmbedding(paper_id=pk) for pk in pks], ignore_conflicts=True)
    return len(pks)


def _claimable(now, dead=()):
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    if dead:
        free |= Q(claimed_by__in=dead)
    return PaperEmbedding.objects.filter(vector__isnull=True).filter(free)


def dead_holders():
    """Holders of live claims that are processes of this host which no longer exist (kill -9):
    their rows need not wait for the lease."""
    holders = PaperEmbedding.objects.filter(claimed_until__isnull=False).exclude(claimed_by="")
    return [h for h in holders.values_list("claimed_by", flat=True).distinct() if is_dead_local_process(h)]


def claim(batch_size):
    """Claim up to ``batch_size`` queued rows for this run; return the claim token and the rows."""
    now = timezone.now()
    dead = dead_holders()
    candidates = list(_claimable(now, dead).order_by("pk").values_list("pk", flat=True)[:batch_size])
    token = secrets.token_hex(8)
    # Conditional: a row another run claimed since we read it is not ours.
    _claimable(now, dead).filter(pk__in=candidates).update(claim=token, claimed_by=this_process(),
                                                           claimed_until=now + CLAIM_LEASE)
    rows = PaperEmbedding.objects.filter(claim=token, vector__isnull=True).select_related("paper")
    return token, list(rows.only("pk", "paper__title", "paper__abstract"))


def embed_one_batch(batch_size=BATCH_SIZE):
    """Embed one claimed batch; return how many vectors were written, or None when nothing was left
    to claim."""
    token, rows = claim(batch_size)
    if not rows:  # none left, or another run won the race for these: then try again
        return 0 if _claimable(timezone.now(), dead_holders()).exists() else None
    texts = [embedder.document_text(row.paper.title, row.paper.abstract) for row in rows]
    matrix = embedder.encode_documents(texts)
    model, written, now = embedder.fingerprint(), 0, timezone.now()
    # One transaction per batch: a kill -9 leaves a batch wholly written or wholly still claimed.
    with transaction.atomic():
        for row, text, vector in zip(rows, texts, matrix, strict=True):
            # Conditional on our token: rows a later run took over (our lease ran out) are its to write.
            written += PaperEmbedding.objects.filter(pk=row.pk, claim=token).update(
                vector=vector_to_bytes(vector), model=model, text_hash=embedder.text_hash(text),
                embedded_at=now, claim="", claimed_by="", claimed_until=None)
    if written:  # the semantic half finds these papers now
        transaction.on_commit(lambda: pagecache.bump(pagecache.SEARCH))
    return written


def embed_pending(batch_size=BATCH_SIZE, limit=None, progress=None):
    """Embed every paper that lacks a vector (up to ``limit``); return how many were embedded.
    ``progress(count)`` is called after each batch is committed."""
    done = 0
    enqueue_missing(limit=limit or 10**9)
    while limit is None or done < limit:
        count = embed_one_batch(min(batch_size, limit - done) if limit else batch_size)
        if count is None:  # the rest (if any) is claimed by live runs
            break
        done += count
        if progress:
            progress(count)
    return done


def adopt_vectors(embeddings):
    """Store vectors that came with imported papers (``{paper pk: {"model", "vector"}}``, as ``export
    --vectors`` writes them) where the paper has none and the model matches ours (same model and input
    length); return (adopted, refused). Refused ones, malformed included, stay queued for ``embed``."""
    ours, now = embedder.fingerprint(), timezone.now()
    texts = {pk: embedder.document_text(title, abstract) for pk, title, abstract in
             Paper.objects.filter(pk__in=list(embeddings)).values_list("pk", "title", "abstract")}
    have = set(PaperEmbedding.objects.filter(paper_id__in=list(embeddings), vector__isnull=False)
               .values_list("paper_id", flat=True))
    adopted = []
    for pk, given in embeddings.items():
        vector = _vector_of(given)
        if pk in have or pk not in texts or vector is None or not embedder.same_model(str(given["model"]), ours):
            continue
        adopted.append(PaperEmbedding(paper_id=pk, vector=vector, model=given["model"], embedded_at=now,
                                      text_hash=embedder.text_hash(texts[pk])))
    PaperEmbedding.objects.filter(paper_id__in=[row.paper_id for row in adopted]).delete()  # queue rows
    PaperEmbedding.objects.bulk_create(adopted, batch_size=BATCH_SIZE * 8)
    if adopted:
        transaction.on_commit(lambda: pagecache.bump(pagecache.SEARCH))
    return len(adopted), len(embeddings) - len(adopted)


def _vector_of(given):
    """The 384 little-endian float32 of an exported vector, or None when it is not one."""
    try:
        raw = base64.b64decode(str(given.get("vector", "")), validate=True)
    except (ValueError, TypeError):
        return None
    if len(raw) != embedder.DIMENSIONS * 4 or not np.all(np.isfinite(np.frombuffer(raw, dtype="<f4"))):
        return None
    return raw


def mark_changed():
    """Queue again the rows whose paper text or model setting changed since they were embedded;
    return how many. Reads every paper's text: a maintenance step (``embed --refresh``)."""
    model, stale = embedder.fingerprint(), []
    rows = PaperEmbedding.objects.filter(vector__isnull=False).values_list(
        "pk", "model", "text_hash", "paper__title", "paper__abstract")
    for pk, row_model, digest, title, abstract in rows.iterator(chunk_size=2000):
        if row_model != model or digest != embedder.text_hash(embedder.document_text(title, abstract)):
            stale.append(pk)
    for start in range(0, len(stale), 500):
        PaperEmbedding.objects.filter(pk__in=stale[start : start + 500]).update(
            vector=None, claim="", claimed_by="", claimed_until=None)
    return len(stale)


def reindex_if_stale(force=False):
    """Build a new index generation when the database has changed since the live one (or ``force``);
    return its Manifest, or None."""
    return build.build_generation(force=force)


# -- the worker's entry points (settings.WORKER_JOBS calls them with no arguments) -------------------
WORKER_EMBED_LIMIT = 512  # papers per turn, so indexing interleaves with a long backfill


def run_embed():
    """One worker turn of embedding: at most WORKER_EMBED_LIMIT papers. True while papers still wait
    (the worker then runs it again at once), and the progress is logged."""
    done = embed_pending(limit=WORKER_EMBED_LIMIT)
    if done:
        log.info("%s", progress.measure())
    return done >= WORKER_EMBED_LIMIT


def run_reindex():
    """One worker turn of indexing: a generation when stale."""
    return reindex_if_stale()
