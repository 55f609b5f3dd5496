"""MiniLM through ONNX Runtime: exports made once, offline, into the index directory's ``onnx/``.

``fp32`` is the graph exported from torch (mean pooling and L2 normalization inside it, so it outputs
the sentence vector); it encodes queries in web processes, and documents when
``SEARCH_EMBED_RUNTIME=onnx SEARCH_EMBED_PRECISION=fp32``. ``int8`` is that graph with its weights
dynamically quantized (``onnxruntime.quantization.quantize_dynamic``), for documents: about twice as
fast as fp32 here, with vectors moved to cosine ≈ 0.995 (docs/search.md).
Each is used only after its vectors were checked against torch on sample texts, one at a time and as
one padded batch (``MIN_COSINE``); the check's result sits next to it in ``verified-<precision>.json``.
"""

import contextlib
import fcntl
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

FILE_NAMES = {"fp32": "minilm-l6-v2-fp32.onnx", "int8": "minilm-l6-v2-int8.onnx"}
# The lowest cosine to torch fp32 an export may show on SAMPLES. fp32 agrees to rounding; int8 moves
# vectors measurably (lowest on SAMPLES measured 0.982 here; on 512 real papers mean 0.995, lowest
# 0.989), and what that costs in retrieval is measured on the quality harness (docs/search.md).
MIN_COSINE = {"fp32": 0.9999, "int8": 0.97}
EXPORT_TIMEOUT_S = 600
SAMPLES = [
    "graph neural networks",
    "diffusion models for text-to-image generation with classifier-free guidance",
    "Schrödinger bridge",
    "LLM agents 🤖 that use tools",
    "x",
    "long " * 300,
    "Folding proteins with attention. We predict the three-dimensional structure of a protein from its "
    "amino acid sequence with a transformer, reaching atomic accuracy on most targets.",
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
    """One ONNX Runtime session over an exported graph: ``encoder(text)`` for a query,
    ``encoder.encode(texts, batch_size)`` for documents."""

    def __init__(self, path, threads):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = _tokenizer()

    def __call__(self, text):
        # A query runs alone, padded to nothing: its own length (a few tokens), never to the maximum.
        return self._run([self.tokenizer.encode(text)])[0]

    def encode(self, texts, batch_size=embedder.INFERENCE_BATCH):
        """(n, 384) for ``texts``, run shortest first so each batch pads only to its own longest."""
        encodings = self.tokenizer.encode_batch(list(texts))
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        out = np.empty((len(encodings), embedder.DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            out[chosen] = self._run([encodings[i] for i in chosen])
        return out

    def _run(self, encodings):
        width = max(len(e.ids) for e in encodings)
        feed = {name: np.zeros((len(encodings), width), dtype=np.int64)
                for name in ("input_ids", "attention_mask", "token_type_ids")}
        for row, encoding in enumerate(encodings):
            length = len(encoding.ids)
            feed["input_ids"][row, :length] = encoding.ids
            feed["attention_mask"][row, :length] = encoding.attention_mask
            feed["token_type_ids"][row, :length] = encoding.type_ids
        return np.asarray(self.session.run(None, feed)[0], dtype=np.float32)


def agreement(encoder):
    """The lowest cosine between ``encoder`` and torch fp32 over SAMPLES, each encoded alone and all
    together as one padded batch (so padding is checked too)."""
    reference = np.stack([embedder.torch_query(text) for text in SAMPLES])
    alone = np.stack([encoder(text) for text in SAMPLES])
    together = encoder.encode(SAMPLES, batch_size=len(SAMPLES))
    return float(min((reference * alone).sum(1).min(), (reference * together).sum(1).min()))


def ensure(precision="fp32"):
    """Export (``int8``: also quantize the fp32 export) and verify once; a no-op when a verified file
    exists. Returns the lowest cosine to torch. Blocks while another process of this node does it."""
    if _verified(precision) is not None:
        return _verified(precision)
    directory().mkdir(parents=True, exist_ok=True)
    with _export_lock():
        for needed in dict.fromkeys(("fp32", precision)):  # int8 is made from the verified fp32 graph
            if _verified(needed) is None:  # the process we waited for may have made it
                _make(needed)
    return _verified(precision)


def _make(precision):
    # Written under a temporary name and renamed: a reader never sees half a file.
    fd, tmp = tempfile.mkstemp(dir=directory(), suffix=".onnx.tmp")
    os.close(fd)
    try:
        if precision == "fp32":
            export(tmp)
        else:
            quantize(directory() / FILE_NAMES["fp32"], tmp)
        cosine = agreement(OnnxEncoder(tmp, threads=settings.SEARCH_EMBED_THREADS))
        if cosine < MIN_COSINE[precision]:
            raise RuntimeError(f"ONNX {precision} export disagrees with torch (cosine {cosine:.6f} < "
                               f"{MIN_COSINE[precision]}); not used")
        os.replace(tmp, directory() / FILE_NAMES[precision])
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    _write_json(_marker(precision), {"min_cosine": cosine, "model": _runtime_key(precision)})


def quantize(source, target):
    """int8 weights for every MatMul, activations quantized per batch at run time (dynamic)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Per output channel: one scale per column keeps the vectors at cosine ≈ 0.995 to fp32, where one
    # scale per matrix measured 0.945 (docs/search.md).
    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul"])


@contextlib.contextmanager
def _export_lock():
    with open(directory() / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # released when the file closes
        yield


def _marker(precision):
    return directory() / f"verified-{precision}.json"


def _verified(precision):
    """The recorded lowest cosine when a verified export for the current setting exists, else None."""
    try:
        verified = json.loads(_marker(precision).read_text())
    except (FileNotFoundError, ValueError):
        return None
    cosine = verified.get("min_cosine", 0)
    if verified.get("model") != _runtime_key(precision) or cosine < MIN_COSINE[precision]:
        return None
    return cosine


def _write_json(path, data):
    tmp = Path(f"{path}.tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def _runtime_key(precision="fp32"):
    return f"{embedder.MODEL_ID}/{embedder.doc_max_tokens()}/{precision}"


@functools.cache
def _load(path, threads):
    return OnnxEncoder(path, threads)


def load_verified():
    """The fp32 query encoder when a verified export for the current setting exists, else None."""
    if _verified("fp32") is None:
        return None
    return _load(str(directory() / FILE_NAMES["fp32"]), settings.SEARCH_QUERY_THREADS)


def load_document_encoder(precision):
    """``encode(texts, batch_size)`` over the verified export of ``precision`` (``ensure`` first)."""
    if _verified(precision) is None:
        raise RuntimeError(f"no verified ONNX {precision} export in {directory()}")
    return OnnxEncoder(directory() / FILE_NAMES[precision], settings.SEARCH_EMBED_THREADS).encode


if __name__ == "__main__":  # the child process of export(): python -m dailypapers.search.onnx_export PATH TOKENS
    os.environ["HF_HUB_OFFLINE"] = "1"
    _export_here(sys.argv[1], int(sys.argv[2]))
