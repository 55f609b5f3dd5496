"""Query encoding through ONNX Runtime: an fp32 export of MiniLM made once, offline, into the index dir.

The export includes mean pooling and L2 normalization, so the graph outputs the sentence vector. It is
used only after its vectors were checked against torch on sample texts (``MIN_COSINE``); the check's
result sits next to it in ``verified.json``. Web processes then never import torch.
"""

import functools
import json
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
from django.conf import settings

from . import embedder, store

FILE_NAME = "minilm-l6-v2-fp32.onnx"
VERIFIED = "verified.json"
MIN_COSINE = 0.9999
EXPORT_TIMEOUT_S = 600
SAMPLES = [
    "graph neural networks",
    "diffusion models for text-to-image generation with classifier-free guidance",
    "Schrödinger bridge",
    "LLM agents 🤖 that use tools",
    "x",
    "long " * 300,
]


def directory():
    return store.index_root() / "onnx"


def _tokenizer(max_tokens=None):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(embedder.model_dir() / "tokenizer.json"))
    tokenizer.enable_truncation(max_tokens or embedder.doc_max_tokens())
    tokenizer.no_padding()
    return tokenizer


def export(path):
    """Write the fp32 ONNX graph of MiniLM + pooling to ``path``, in a child process: torch's exporter
    hangs in a process where usearch has already run its OpenMP threads (seen here: the worker
    builds HNSW graphs), and a child also gives back torch's memory when done."""
    command = [sys.executable, "-m", "dailypapers.search.onnx_export", str(path), str(embedder.doc_max_tokens())]
    subprocess.run(command, check=True, timeout=EXPORT_TIMEOUT_S, stdin=subprocess.DEVNULL,  # noqa: S603
                   capture_output=True)


def _export_here(path, max_tokens):
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(embedder.model_dir()), local_files_only=True).eval()
    encoding = _tokenizer(max_tokens).encode("a sample sentence for tracing")
    inputs = tuple(torch.tensor([ids]) for ids in (encoding.ids, encoding.attention_mask, encoding.type_ids))
    axes = {"batch": 0, "seq": 1}
    dynamic = {name: {v: k for k, v in axes.items()} for name in ("input_ids", "attention_mask", "token_type_ids")}
    with warnings.catch_warnings():
        # The tracer's notes about shape-dependent Python branches: the agreement check is what counts.
        warnings.simplefilter("ignore")
        torch.onnx.export(_Pooled(model, torch), inputs, str(path), input_names=list(dynamic),
                          output_names=["embedding"], dynamic_axes={**dynamic, "embedding": {0: "batch"}},
                          opset_version=17, dynamo=False)


def _Pooled(model, torch):  # noqa: N802 (a class built lazily, so importing this module needs no torch)
    class Pooled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, dim=-1)

    return Pooled().eval()


class OnnxEncoder:
    def __init__(self, path, threads=None):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or settings.SEARCH_QUERY_THREADS
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = _tokenizer()

    def __call__(self, text):
        encoding = self.tokenizer.encode(text)
        feed = {name: np.array([values], dtype=np.int64) for name, values in (
            ("input_ids", encoding.ids), ("attention_mask", encoding.attention_mask),
            ("token_type_ids", encoding.type_ids))}
        return np.asarray(self.session.run(None, feed)[0][0], dtype=np.float32)


def agreement(encoder):
    """The lowest cosine between ``encoder`` and torch over SAMPLES."""
    return min(float(np.dot(encoder(text), embedder.torch_query(text))) for text in SAMPLES)


def ensure():
    """Export and verify once (a no-op when a verified export exists); return the lowest cosine."""
    target = directory()
    marker = target / VERIFIED
    if marker.exists():
        return json.loads(marker.read_text())["min_cosine"]
    target.mkdir(parents=True, exist_ok=True)
    # Written under a temporary name and renamed: a reader never sees half a file.
    fd, tmp = tempfile.mkstemp(dir=target, suffix=".onnx.tmp")
    os.close(fd)
    export(tmp)
    cosine = agreement(OnnxEncoder(tmp))
    if cosine < MIN_COSINE:
        os.unlink(tmp)
        raise RuntimeError(f"ONNX export disagrees with torch (cosine {cosine:.6f} < {MIN_COSINE}); not used")
    os.replace(tmp, target / FILE_NAME)
    _write_json(marker, {"min_cosine": cosine, "model": _runtime_key()})
    return cosine


def _write_json(path, data):
    tmp = Path(f"{path}.tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def _runtime_key():
    return f"{embedder.MODEL_ID}/{embedder.doc_max_tokens()}/fp32"


@functools.cache
def _load(path):
    return OnnxEncoder(path)


def load_verified():
    """The ONNX encoder when a verified export for the current model exists, else None."""
    marker = directory() / VERIFIED
    try:
        verified = json.loads(marker.read_text())
    except (FileNotFoundError, ValueError):
        return None
    if verified.get("model") != _runtime_key() or verified.get("min_cosine", 0) < MIN_COSINE:
        return None
    return _load(str(directory() / FILE_NAME))


if __name__ == "__main__":  # the child process of export(): python -m dailypapers.search.onnx_export PATH TOKENS
    os.environ["HF_HUB_OFFLINE"] = "1"
    _export_here(sys.argv[1], int(sys.argv[2]))
