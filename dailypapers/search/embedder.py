"""all-MiniLM-L6-v2 (384-d) through ONNX Runtime, in every process: no torch anywhere at run time.

Documents are embedded in the worker and ``embed`` at the precision ``cpu.choose`` picks for this CPU
(``SEARCH_EMBED_PRECISION``, default ``auto``); queries in web processes always in fp32. Both graphs
are ``minilm``'s, built once by a setup step: loading one here never builds, downloads or verifies
anything, so a web request only ever runs the model. Every path mean-pools and L2-normalizes the same
model's output, so query and document vectors stay comparable.
"""

import functools
import hashlib
import threading

import numpy as np
from django.conf import settings

from . import cpu, minilm

MODEL_ID = "all-MiniLM-L6-v2"
DIMENSIONS = 384
QUERY_CACHE_SIZE = 4096
QUERY_MAX_CHARS = 2000
INFERENCE_BATCH = 32  # texts per forward pass, sorted by length so each batch pads little
_lock = threading.Lock()


def doc_max_tokens():
    return settings.SEARCH_EMBED_MAX_TOKENS


@functools.cache
def this_cpu():
    return cpu.detect()


def choice():
    """The document precision for this CPU and setting (ImproperlyConfigured when refused)."""
    return cpu.choose(settings.SEARCH_EMBED_PRECISION, this_cpu())


def fingerprint():
    """Names the vectors the current setting produces: rows made otherwise are embedded again by
    ``embed --refresh``, and ``import`` takes vectors only from the same model and input length."""
    return f"{MODEL_ID}/{doc_max_tokens()}/onnx-{choice().precision}"


def same_model(a, b):
    """True when two fingerprints name vectors of one model and input length: precisions differ by
    rounding only (docs/search.md), so their vectors are interchangeable."""
    return a.rsplit("/", 1)[0] == b.rsplit("/", 1)[0]


def document_text(title, abstract):
    return f"{title}. {abstract}".strip() if abstract else title


def text_hash(text):
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def encode_documents(texts, batch_size=INFERENCE_BATCH):
    """float32 (n, 384), L2-normalized, at this CPU's document precision."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return normalize(document_encoder().encode(list(texts), batch_size))


def document_encoder():
    """The document Encoder for the current setting, loaded once per process and setting."""
    return _encoder(choice().precision, settings.SEARCH_EMBED_THREADS or cpu.cores(), doc_max_tokens())


@functools.cache
def _encoder(precision, threads, max_tokens):
    return minilm.Encoder(minilm.path(precision), threads, max_tokens)


def query_encoder():
    """fp32, one thread: a query is a few tokens, and web processes serve side by side."""
    return _encoder("fp32", settings.SEARCH_QUERY_THREADS, doc_max_tokens())


def normalize(vectors):
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


@functools.lru_cache(maxsize=QUERY_CACHE_SIZE)
def _cached_query(text):
    with _lock:  # one encoding at a time per process: the cores are busy with the others
        vector = normalize(query_encoder()(text))
    vector.setflags(write=False)
    return vector


def embed_query(text):
    """The query's float32 (384,) vector, L2-normalized; LRU-cached on the whitespace-folded text.
    Raises ``minilm.ModelNotReady`` before the setup step built the model."""
    return _cached_query(" ".join(str(text).split())[:QUERY_MAX_CHARS])


def warm():
    """Load the query model and run it once, so a process's first search costs what its hundredth
    does (called when a web worker boots). False when the model is not built."""
    try:
        query_encoder()("warm up")
    except minilm.ModelNotReady:
        return False
    return True


def reset():
    """Forget cached query vectors and loaded sessions (tests; settings changes)."""
    _cached_query.cache_clear()
    _encoder.cache_clear()
    this_cpu.cache_clear()
